import type { Queryable } from "./store.ts";

// The newest bookmark this isolate has written at; later reads in this isolate start from it, so
// a change made here is visible here at once even when reads go to a lagging replica.
let isolateBookmark: string | null = null;

/**
 * The D1 sessions of one request. Reads may be served by a nearby read replica; writes go to
 * the primary. A bookmark (from the client, or from this isolate's last write) makes a read at
 * least as fresh as the write it came from.
 */
export class Sessions {
  readonly #db: D1Database;
  readonly #requestBookmark: string | undefined;
  #read: D1DatabaseSession | undefined;
  #write: D1DatabaseSession | undefined;

  constructor(db: D1Database, requestBookmark?: string) {
    this.#db = db;
    this.#requestBookmark = requestBookmark;
  }

  read(): Queryable {
    this.#read ??=
      this.#write ??
      this.#db.withSession(this.#requestBookmark ?? isolateBookmark ?? "first-unconstrained");
    return this.#read;
  }

  write(): Queryable {
    this.#write ??= this.#db.withSession("first-primary");
    return this.#write;
  }

  /** To be called after a successful write, so this isolate reads its own writes. */
  wrote(): void {
    const bookmark = this.#write?.getBookmark();
    if (bookmark) {
      isolateBookmark = bookmark;
    }
  }

  /** The bookmark to hand back to the client, for read-your-writes across isolates. */
  bookmark(): string | null {
    return (this.#write ?? this.#read)?.getBookmark() ?? null;
  }
}
