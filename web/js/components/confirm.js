// Confirmation before anything that cannot be undone: a modal <dialog> saying what will
// happen, with a reason to pick where the API takes one. Resolves with the chosen values,
// or null when the person cancels.
import { h } from '../dom.js';

/**
 * @typedef {{ name: string, label: string, options?: Array<[string, string]>, value?: string, placeholder?: string }} Choice
 * A choice with options is a select; without, a text field.
 * @param {{ title: string, message: string, confirm: string, choices?: Choice[], danger?: boolean }} spec
 * @returns {Promise<Record<string, string> | null>}
 */
export function confirmAction(spec) {
  return new Promise((resolve) => {
    const selects = (spec.choices ?? []).map((choice) => {
      const id = `confirm-${choice.name}`;
      const select = choice.options
        ? h('select', { name: choice.name, id }, ...choice.options.map(([value, text]) => h('option', { value, selected: value === choice.value }, text)))
        : h('input', { name: choice.name, id, type: 'text', value: choice.value ?? '', placeholder: choice.placeholder, autocomplete: 'off' });
      return { choice, select: /** @type {HTMLSelectElement | HTMLInputElement} */ (select) };
    });
    /** @param {Record<string, string> | null} result */
    const finish = (result) => {
      dialog.close();
      dialog.remove();
      resolve(result);
    };
    const confirmButton = h('button', { type: 'button', class: spec.danger ? 'danger' : 'primary', 'data-testid': 'confirm' }, spec.confirm);
    confirmButton.addEventListener('click', () => finish(Object.fromEntries(selects.map(({ choice, select }) => [choice.name, select.value.trim()]))));
    const cancelButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'cancel' }, 'Cancel');
    cancelButton.addEventListener('click', () => finish(null));
    const dialog = /** @type {HTMLDialogElement} */ (
      h(
        'dialog',
        { class: 'confirm', 'aria-labelledby': 'confirm-title' },
        h('h2', { id: 'confirm-title' }, spec.title),
        h('p', null, spec.message),
        ...selects.map(({ choice, select }) => h('label', { class: 'field', for: select.id }, h('span', null, choice.label), select)),
        h('div', { class: 'actions' }, cancelButton, confirmButton),
      )
    );
    dialog.addEventListener('cancel', () => finish(null)); // Escape
    document.body.append(dialog);
    dialog.showModal();
    cancelButton.focus(); // the safe choice has the focus
  });
}
