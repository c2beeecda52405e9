// The state-changing actions, each behind a confirmation that says what will happen. The
// buttons are only shown to roles that may act (operator, admin); the server checks again and
// refuses an auditor with 403 whatever the page shows.
import { api } from './api.js';
import { confirmAction } from './components/confirm.js';
import { flash } from './components/notice.js';
import { h } from './dom.js';

/** @param {import('./api.js').Session} session */
export function canOperate(session) {
  return session.permissions.includes('operate');
}

const REVOCATION_REASONS = [
  ['unspecified', 'unspecified'],
  ['keyCompromise', 'key compromise: the private key may be known to others'],
  ['superseded', 'superseded: replaced by a newer certificate'],
  ['cessationOfOperation', 'cessation of operation: the device is out of service'],
  ['affiliationChanged', 'affiliation changed: new owner or purpose'],
  ['privilegeWithdrawn', 'privilege withdrawn'],
  ['certificateHold', 'certificate hold: suspend, can be released later'],
];

/**
 * Runs an API call after confirmation; the outcome is flashed and `done` re-renders.
 * @param {Promise<Record<string, string> | null>} confirmed
 * @param {(values: Record<string, string>) => Promise<string>} act returns the success message
 * @param {() => void} done
 */
async function run(confirmed, act, done) {
  const values = await confirmed;
  if (!values) return;
  try {
    flash(await act(values));
  } catch (error) {
    flash(error instanceof Error ? error.message : String(error), 'bad');
  }
  done();
}

/**
 * @param {string} text
 * @param {() => void} onClick
 * @param {string} [tone]
 */
export function actionButton(text, onClick, tone = 'secondary') {
  return h('button', { type: 'button', class: tone, onclick: onClick, 'data-action': text.toLowerCase() }, text);
}

/** @param {{ id: string, serial: string, subject: string }} cert @param {() => void} done */
export function revokeCertificate(cert, done) {
  return run(
    confirmAction({
      title: 'Revoke this certificate?',
      message: `Certificate ${cert.serial} (${cert.subject}) will be listed on the next CRL and answered "revoked" by OCSP. A revocation cannot be undone, except a certificate hold.`,
      confirm: 'Revoke certificate',
      danger: true,
      choices: [{ name: 'reason', label: 'Reason', options: /** @type {Array<[string, string]>} */ (REVOCATION_REASONS), value: 'unspecified' }],
    }),
    async ({ reason }) => {
      await api('POST', `/certificates/${encodeURIComponent(cert.id)}/revoke`, { reason });
      return reason === 'certificateHold' ? `Certificate ${cert.serial} is on hold.` : `Certificate ${cert.serial} revoked (${reason}).`;
    },
    done,
  );
}

/** @param {{ id: string, serial: string }} cert @param {() => void} done */
export function releaseCertificate(cert, done) {
  return run(
    confirmAction({ title: 'Release this certificate from hold?', message: `Certificate ${cert.serial} becomes valid again and leaves the next CRL.`, confirm: 'Release' }),
    async () => {
      await api('POST', `/certificates/${encodeURIComponent(cert.id)}/release`);
      return `Certificate ${cert.serial} released from hold.`;
    },
    done,
  );
}

/** @param {{ id: string, externalSerial: string }} device @param {() => void} done */
export function suspendDevice(device, done) {
  return run(
    confirmAction({
      title: 'Suspend this device?',
      message: `${device.externalSerial} will get no new certificate (no enrolment, no renewal) until it is reactivated. Its current certificates stay valid; revoke or hold them separately if needed.`,
      confirm: 'Suspend device',
      danger: true,
    }),
    async () => {
      await api('POST', `/devices/${encodeURIComponent(device.id)}/suspend`);
      return `Device ${device.externalSerial} suspended.`;
    },
    done,
  );
}

/** @param {{ id: string, externalSerial: string }} device @param {() => void} done */
export function reactivateDevice(device, done) {
  return run(
    confirmAction({ title: 'Reactivate this device?', message: `${device.externalSerial} may enrol and renew again.`, confirm: 'Reactivate' }),
    async () => {
      await api('POST', `/devices/${encodeURIComponent(device.id)}/reactivate`);
      return `Device ${device.externalSerial} reactivated.`;
    },
    done,
  );
}

/** @param {{ id: string, externalSerial: string }} device @param {() => void} done */
export function decommissionDevice(device, done) {
  return run(
    confirmAction({
      title: 'Decommission this device?',
      message: `${device.externalSerial} leaves service for good and every certificate it still holds is revoked now. This cannot be undone.`,
      confirm: 'Decommission device',
      danger: true,
      choices: [{
        name: 'reason',
        label: 'Why',
        options: [['retired', 'retired (certificates: cessationOfOperation)'], ['lost', 'lost (certificates: keyCompromise)'], ['compromised', 'compromised (certificates: keyCompromise)']],
        value: 'retired',
      }],
    }),
    async ({ reason }) => {
      const result = await api('POST', `/devices/${encodeURIComponent(device.id)}/decommission`, { reason });
      return `Device ${device.externalSerial} decommissioned; ${result.revokedCertificateIds.length} certificate(s) revoked.`;
    },
    done,
  );
}
