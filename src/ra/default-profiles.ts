// The profiles `init` creates; operators edit or replace them (fleetpki profile set).
//
// Each profile names the environments whose devices it serves, matching the CA it issues
// from: the devices-production CA is trusted by production devices, so only production
// devices get its certificates, and the lab CA only lab devices. The environment names are the
// ones the docs and examples use ("production", "lab"); an operator with other names edits these.

export const DEFAULT_PROFILES = [
  {
    name: 'sensor',
    description: 'Constrained sensors: short-lived client certificate, device id as the only name',
    ca: 'devices-production',
    keys: { allowed: ['ec-p256', 'ed25519'] },
    validity: '30d',
    renewAfter: 0.66,
    subject: { O: 'fleetpki', OU: '{{device.class}}', CN: '{{device.id}}' },
    san: { templates: ['uri:urn:fleetpki:device:{{device.id}}'] },
    keyUsage: ['digitalSignature'],
    extKeyUsage: ['clientAuth'],
    privacy: true,
    environments: ['production'],
  },
  {
    name: 'gateway',
    description: 'Gateways: client and server authentication, may request DNS names under the fleet domain',
    ca: 'devices-production',
    keys: { allowed: ['ec-p256', 'ec-p384', 'rsa'], rsaMinBits: 2048 },
    validity: '90d',
    subject: { O: 'fleetpki', OU: 'gateway', CN: '{{device.id}}', serialNumber: '{{device.serial}}' },
    san: { templates: ['uri:urn:fleetpki:device:{{device.id}}'], allowRequested: ['dns:*.gateways.fleet.internal'] },
    keyUsage: ['digitalSignature', 'keyAgreement'],
    extKeyUsage: ['clientAuth', 'serverAuth'],
    environments: ['production'],
  },
  {
    name: 'tls-server',
    description: 'TLS servers (brokers, EST endpoints): DNS and IP names on request',
    ca: 'devices-production',
    keys: { allowed: ['ec-p256', 'ec-p384', 'rsa'], rsaMinBits: 2048 },
    validity: '397d',
    subject: { O: 'fleetpki', CN: '{{device.id}}' },
    san: { templates: [], allowRequested: ['dns:*.fleet.internal', 'dns:localhost', 'ip:127.0.0.1', 'ip:::1'] },
    keyUsage: ['digitalSignature', 'keyEncipherment'],
    extKeyUsage: ['serverAuth'],
    // Production devices trust this CA, so a lab server must not answer as one of theirs;
    // "infrastructure" is fleetpki's own EST server identity (src/est/tls-identity.ts).
    environments: ['production', 'infrastructure'],
  },
  {
    name: 'lab-sensor',
    description: 'Sensors in the lab environment, from the lab CA so lab trust never reaches production',
    ca: 'devices-lab',
    keys: { allowed: ['ec-p256', 'ec-p384', 'ed25519', 'rsa'] },
    validity: '7d',
    subject: { O: 'fleetpki lab', CN: '{{device.id}}' },
    san: { templates: ['uri:urn:fleetpki:device:{{device.id}}'] },
    keyUsage: ['digitalSignature'],
    extKeyUsage: ['clientAuth'],
    environments: ['lab'],
  },
  {
    name: 'code-signing',
    description: 'Release signers: short-lived code-signing certificates',
    ca: 'code-signing',
    keys: { allowed: ['ec-p256', 'ec-p384', 'rsa'], rsaMinBits: 3072 },
    validity: '14d',
    subject: { O: 'fleetpki', OU: 'release signing', CN: '{{device.id}}' },
    san: { templates: [] },
    keyUsage: ['digitalSignature'],
    extKeyUsage: ['codeSigning'],
    // A release signer is an inventory record of its own class (docs/firmware.md), so a
    // sensor or gateway can never be given a certificate that signs firmware.
    deviceClasses: ['release-signer'],
    // Every device holding the code-signing bundle accepts what this signs, production devices
    // included: a lab release signer would be lab trust reaching production. Lab firmware
    // wants a lab code-signing CA and profile of its own.
    environments: ['production'],
  },
];
