// {{device.id}}-style placeholders in subject and SAN templates, filled from the device.

import { PolicyDenied } from '../errors.ts';
import type { DevicesTable } from '../store/schema.ts';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

export function templateFields(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]);
}

function fieldValue(device: DevicesTable, field: string): string | null {
  const fields: Record<string, string | null> = {
    'device.id': device.id,
    'device.serial': device.external_serial,
    'device.model': device.model,
    'device.class': device.device_class,
    'device.environment': device.environment,
    'device.site': device.site,
    'device.owner': device.owner,
  };
  if (field in fields) return fields[field];
  if (field.startsWith('meta.')) {
    const value = (JSON.parse(device.metadata) as Record<string, unknown>)[field.slice(5)];
    return value === undefined || value === null ? null : String(value);
  }
  return null;
}

export function renderTemplate(template: string, device: DevicesTable): string {
  return template.replace(PLACEHOLDER, (_, field: string) => {
    const value = fieldValue(device, field);
    if (value === null || value === '') {
      throw new PolicyDenied(`the profile needs {{${field}}} but device ${device.id} has no value for it`);
    }
    return value;
  });
}
