import { randomPoolBytes } from '../random-pool.ts';
import { unsignedInteger } from '../x509/der.ts';
import { serialHexFromInteger } from '../x509/certificate.ts';

export interface Serial {
  /** Complete DER INTEGER: positive, minimal, at most 17 octets. */
  der: Buffer;
  /** Lowercase hex of the value, as stored and searched. */
  hex: string;
}

/** 128 bits from the CSPRNG (RFC 5280 allows up to 20 octets; CA/B Forum asks for 64+ random bits). */
export function newSerial(): Serial {
  for (;;) {
    const bytes = randomPoolBytes(16);
    if (bytes.some((b) => b !== 0)) return { der: unsignedInteger(bytes), hex: serialHexFromInteger(bytes) };
  }
}
