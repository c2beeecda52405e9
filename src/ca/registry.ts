// Loaded CAs by id and name, so the hot path never re-reads or re-parses a CA certificate.

import type { Kysely } from 'kysely';
import { NotFound } from '../errors.ts';
import { getCa, getCaByName } from '../store/repos/cas.ts';
import type { Database } from '../store/schema.ts';
import { Issuer } from './issuer.ts';

export class CaRegistry {
  readonly #db: Kysely<Database>;
  readonly #publicUrl: string;
  readonly #byId = new Map<string, Issuer>();

  constructor(db: Kysely<Database>, publicUrl: string) {
    this.#db = db;
    this.#publicUrl = publicUrl;
  }

  async get(id: string): Promise<Issuer> {
    const cached = this.#byId.get(id);
    if (cached) return cached;
    const row = await getCa(this.#db, id);
    if (!row) throw new NotFound(`no CA with id ${id}`);
    return this.#remember(new Issuer(row, this.#publicUrl));
  }

  async byName(name: string): Promise<Issuer> {
    for (const issuer of this.#byId.values()) if (issuer.row.name === name) return issuer;
    const row = await getCaByName(this.#db, name);
    if (!row) throw new NotFound(`no CA named ${name}`);
    return this.#remember(new Issuer(row, this.#publicUrl));
  }

  /** After a CA row changes (retired, certificate installed). */
  forget(id: string): void {
    this.#byId.delete(id);
  }

  #remember(issuer: Issuer): Issuer {
    this.#byId.set(issuer.row.id, issuer);
    return issuer;
  }
}
