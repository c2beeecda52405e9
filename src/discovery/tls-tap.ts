// A pass-through stream between node:tls and the TCP socket that keeps a copy of what the
// server sends, for tls-certificate-message.ts to read the Certificate message from. TLS
// over a plain net.Socket reads the socket in C++ and leaves JavaScript nothing to copy; over
// any other stream it goes through JavaScript, and this is that stream. The copy stops at
// `limit` bytes: a handshake (even a long chain) is far below it, and a server streaming
// without end must not fill memory.

import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

export class ReceiveTap extends Duplex {
  readonly #socket: Socket;
  readonly #limit: number;
  readonly #chunks: Buffer[] = [];
  #size = 0;
  /** More arrived than `limit`; `received` holds only the first part. */
  overflowed = false;

  constructor(socket: Socket, limit: number) {
    super();
    this.#socket = socket;
    this.#limit = limit;
    socket.on('data', (chunk: Buffer) => {
      this.#keep(chunk);
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
  }

  #keep(chunk: Buffer): void {
    if (this.overflowed) return;
    if (this.#size + chunk.length > this.#limit) {
      this.overflowed = true;
      return;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  get received(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  override _read(): void {
    this.#socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#socket.destroy();
    callback(error);
  }
}
