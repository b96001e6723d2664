// The outbox: every event the SDK records waits here, persisted, until the collector has
// acknowledged it.
//
// This is the browser shell of the event pipeline; waymark-core makes its decisions (how
// large the outbox may grow, how it is cut into batches, how long to wait after a
// failure) through the wasm exports `outboxPolicy`, `outboxPlan` and `retryWait`. It is
// JavaScript rather than Rust because in wasm the same shell cost 20 KiB of the SDK's
// 64 KiB gzipped budget.
//
// - Persisted in IndexedDB (one database per project, shared by its tabs), else in
//   localStorage (a key per event), else in memory. Entries are keyed by event id (UUID v7,
//   so key order is recording order) and hold the event's JSON exactly as it is sent: a
//   retry never changes an event's timestamp.
// - Storage work is per task, not per event: the events recorded in one task are written in
//   one IndexedDB transaction once its script has run. IndexedDB commits after the task, so
//   when the page is hidden or left, every entry not yet committed is also written to a
//   synchronous localStorage journal, which the next send cycle reads beside the database.
// - Sending is a cycle run by one tab at a time under the Web Lock
//   `waymark:<project>:outbox`: read every stored event (this tab's, other tabs', those
//   left by earlier pages), drop the oldest beyond the bounds (counted and reported as a
//   `$events_dropped` event), send batch by batch, and delete what the collector
//   acknowledged, all before the lock is released, so no other tab sends the same event.
// - Batches go as text/plain without credentials (no CORS preflight), gzipped through
//   CompressionStream where the browser has one. Network errors, timeouts, 408, 429 and 5xx
//   back off (exponential, jittered, never sooner than Retry-After) and pause while the
//   browser is offline; 413 splits the batch; other refusals drop it with one warning.
// - When the page is hidden or unloaded, this tab's unacknowledged events go by
//   sendBeacon in chunks under 60 KB, a refused chunk halved and tried again. They stay in
//   the outbox until acknowledged: sending them again is safe, the collector deduplicates.
// - Nothing here throws into the page: storage that fails degrades to the next option.

const PREFIX = '[waymark]';
const STORE = 'outbox';
const TIMEOUT = 30_000;
// Browsers allow keepalive requests and beacons up to 64 KiB.
const KEEPALIVE_MAX = 64_000;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

// Where entries are persisted: IndexedDB, else localStorage, else nowhere (null).
async function openShelf(name) {
  try {
    const opening = indexedDB.open(name, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
    const db = await request(opening);
    // Another tab deleting the database (consent denied there) must not wait for us.
    db.onversionchange = () => db.close();
    const run = (mode, work) => new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
    // IndexedDB commits after the current task, and a page being unloaded may never get
    // there: when the page is hidden or left, a synchronous localStorage journal takes every
    // entry whose write has not committed, and holds it until it has (or is acknowledged).
    const journal = localJournal(name + ':journal:');
    return {
      hold: (entries) => { for (const e of entries) if (!e.saved && journal.put(e.id, e.json)) e.journaled = true; },
      // Every entry recorded in one task, in one transaction.
      put: (entries) => run('readwrite', (s) => { for (const e of entries) s.put(e.json, e.id); })
        .then(() => journal.del(entries.filter((e) => e.journaled).map((e) => e.id))),
      async all() {
        // One transaction: both lists come from the same snapshot, in key order.
        const [keys, values] = await run('readonly', (s) => [request(s.getAllKeys()), request(s.getAll())]);
        const vs = await values;
        const entries = (await keys).map((id, i) => ({ id, json: vs[i] }));
        // Entries journalled by a page that went before they were written.
        const have = new Set(entries.map((e) => e.id));
        return entries.concat(journal.all().filter((e) => !have.has(e.id)));
      },
      del: (ids) => { journal.del(ids); return run('readwrite', (s) => { for (const id of ids) s.delete(id); }); },
      clear: () => { journal.clear(); return run('readwrite', (s) => { s.clear(); }); },
      close: () => db.close(),
    };
  } catch {
    // No IndexedDB here (or it refused to open): try localStorage.
  }
  try {
    localStorage.getItem(name); // throws where storage is blocked
    const local = localJournal(name + ':' + STORE + ':');
    return {
      hold() {},
      // Written at once, in the task that recorded them: nothing to journal.
      put(entries) {
        const refused = entries.filter((e) => !local.put(e.id, e.json));
        return refused.length ? Promise.reject(new Error('quota')) : Promise.resolve();
      },
      all: async () => local.all(),
      del: async (ids) => local.del(ids),
      clear: async () => local.clear(),
      close() {},
    };
  } catch {
    return null;
  }
}

/**
 * Entries as localStorage keys `<prefix><id>`; every call is safe where storage fails. It
 * knows the keys it has seen (written, or found by `all`), and removes only those: deleting
 * a thousand acknowledged ids costs nothing when none of them was ever journalled.
 */
function localJournal(prefix) {
  const known = new Set();
  const keys = () => {
    const found = [];
    try {
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i);
        if (key && key.startsWith(prefix)) found.push(key);
      }
    } catch {
      // Blocked storage holds nothing.
    }
    for (const key of found) known.add(key);
    return found.sort();
  };
  return {
    put(id, json) {
      try {
        localStorage.setItem(prefix + id, json);
        known.add(prefix + id);
        return true;
      } catch {
        return false;
      }
    },
    all: () => keys().map((key) => ({ id: key.slice(prefix.length), json: localStorage.getItem(key) })).filter((e) => e.json !== null),
    del(ids) {
      try {
        for (const id of ids) if (known.delete(prefix + id)) localStorage.removeItem(prefix + id);
      } catch {
        // Nothing to remove where storage fails.
      }
    },
    clear() {
      this.del(keys().map((key) => key.slice(prefix.length)));
    },
  };
}

/**
 * Runs `work` in a task of its own once the page has painted its next frame (at once when it
 * is hidden and paints none): for requests and storage work that can wait for first paint.
 */
export const afterPaint = (work) => (document.hidden ? setTimeout(work) : requestAnimationFrame(() => setTimeout(work)));

function warn(...args) {
  console.warn(PREFIX, ...args);
}

async function gzip(text) {
  if (typeof CompressionStream !== 'function') return text;
  try {
    const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
    return await new Response(stream).arrayBuffer();
  } catch {
    return text;
  }
}

/** POSTs a batch; resolves to what came of it, never rejects. */
async function post(url, text) {
  const body = await gzip(text);
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      body,
      mode: 'cors',
      credentials: 'omit',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      // keepalive lets a batch in flight outlive a navigation; browsers allow it for small bodies.
      keepalive: (body.byteLength ?? body.length) <= KEEPALIVE_MAX,
      signal: AbortSignal.timeout ? AbortSignal.timeout(TIMEOUT) : undefined,
    });
  } catch {
    return { retry: true };
  }
  const { status } = response;
  const answer = await response.json().catch(() => ({}));
  if (status >= 200 && status < 300) return { ok: true, rejected: answer.rejected || 0 };
  if (status === 408 || status === 429 || status >= 500) {
    const header = response.headers.get('retry-after');
    const after = header === null ? NaN : /^\s*\d+\s*$/.test(header) ? header * 1000 : Date.parse(header) - Date.now();
    return { retry: true, after };
  }
  return { status, reason: answer.error || status };
}

function body(key, entries) {
  return '{"key":' + JSON.stringify(key) + ',"sent_at":' + Date.now() + ',"events":[' + entries.map((e) => e.json).join(',') + ']}';
}

/**
 * The outbox of one page. `load()` makes it and hands it to the SDK, which calls `add`,
 * `consent`, `flush`, `reset` and `close`. `core` has the decisions: `policy()`,
 * `plan(sizes)` and `retryWait(failures, retryAfterMs, random)`; `onDropped(count)` reports
 * drops; `recording` holds the `track()` calls about to be added, if any.
 */
export class Outbox {
  constructor({ project, key, host, core, onDropped, recording }) {
    this.name = 'waymark:' + project;
    this.key = key;
    this.url = String(host).replace(/\/+$/, '') + '/v1/batch';
    this.core = core;
    [this.maxEvents, this.maxBytes, this.maxDelay, this.outboxEvents, this.outboxBytes] = core.policy();
    this.onDropped = onDropped;
    this.recording = recording; // the track() calls waiting to be recorded
    this.mine = []; // this tab's entries not yet seen acknowledged: { id, json, seq, saved, journaled, at }
    this.bytes = 0; // the JSON length of this.mine
    this.unsaved = []; // entries recorded in this task, written together after it
    this.seq = 0;
    this.state = 'pending';
    this.shelf = undefined; // undefined: not opened; null: none available
    this.writes = Promise.resolve();
    this.failures = 0;
    this.retryAt = 0;
    this.dropped = new Set(); // ids dropped to stay within bounds, not yet reported
    this.refusals = new Set(); // reasons already warned about
    this.listeners = [];
  }

  /**
   * Takes a recorded event. This is on the path of every `track()`: it does no storage work
   * of its own (the entries of one task are written together once it ends) and no more
   * than constant work besides.
   */
  add(id, json) {
    if (this.state === 'denied') return;
    const entry = { id, json, seq: this.seq++, saved: false, journaled: false, at: Date.now() };
    const first = !this.mine.length;
    this.mine.push(entry);
    this.bytes += json.length;
    this.save(entry);
    // Keep this tab's own list within bounds too (it may be all there is).
    if (this.mine.length > this.outboxEvents || this.bytes > this.outboxBytes) {
      const { drop } = this.plan(this.mine);
      this.forget(this.mine.slice(0, drop).map((e) => e.id), true);
    }
    // Not while more track() calls wait to be recorded: they join the same cycle (one read of
    // the outbox, full batches), and the bounds apply to all of them at once.
    if (this.mine.length >= this.maxEvents || this.bytes >= this.maxBytes) {
      if (!this.recording.length) this.send();
    // The timer follows the oldest event: a new one changes it only in an empty list.
    } else if (first || this.timer === undefined) this.schedule();
  }

  /** The core's plan for these entries (oldest first): how many to drop, then the batches. */
  plan(entries) {
    const [drop, ...ends] = this.core.plan(Uint32Array.from(entries, (e) => e.json.length));
    const batches = ends.map((end, i) => entries.slice(i ? ends[i - 1] : drop, end));
    return { drop, batches };
  }

  /** Queues an entry to be written with the others of this task, once the task's script has run. */
  save(entry) {
    if (this.state !== 'granted' || !this.shelf) return;
    this.unsaved.push(entry);
    if (this.unsaved.length === 1) queueMicrotask(() => this.store());
  }

  /** Writes the entries queued in this task, in one transaction. */
  store() {
    const entries = this.unsaved;
    this.unsaved = [];
    const shelf = this.shelf;
    if (!entries.length || !shelf || this.state !== 'granted') return;
    // Made now, in the task that recorded them: IndexedDB runs transactions on a store in
    // the order they are made, so a later delete of one of these ids comes after it.
    const written = shelf.put(entries).then(
      () => { for (const e of entries) e.saved = true; },
      () => {}, // quota or a closed database: they stay in memory and are sent from there
    );
    this.writes = Promise.all([this.writes, written]);
  }

  /**
   * The page is hidden or going: every entry not yet committed goes to the synchronous
   * journal, so that a page unloaded before its IndexedDB writes commit loses nothing.
   */
  hold() {
    if (this.state !== 'granted' || !this.shelf) return;
    this.shelf.hold(this.mine);
  }

  consent(state) {
    const before = this.state;
    this.state = state;
    if (state === 'granted' && before !== 'granted') this.open();
    if (state === 'denied') this.destroy();
  }

  listen() {
    const on = (target, type, handler) => {
      target.addEventListener(type, handler);
      this.listeners.push(() => target.removeEventListener(type, handler));
    };
    const going = () => { this.hold(); this.beacon(); };
    on(window, 'pagehide', going);
    on(document, 'visibilitychange', () => { if (document.visibilityState === 'hidden') going(); });
    on(window, 'online', () => this.send());
  }

  async open() {
    if (!this.listeners.length) this.listen();
    if (this.shelf === undefined) {
      await new Promise(afterPaint);
      this.shelf = await openShelf(this.name);
      if (!this.shelf) warn('neither IndexedDB nor localStorage is available: events wait in memory, and those unsent when the page closes are lost');
    }
    if (this.state !== 'granted') return;
    for (const entry of this.mine) this.save(entry);
    this.send(); // also sends what earlier pages and other tabs left behind
  }

  async destroy() {
    this.keep([]);
    this.unsaved = [];
    this.dropped.clear();
    this.stopTimer();
    const shelf = this.shelf;
    this.shelf = undefined;
    if (shelf) {
      await shelf.clear().catch(() => {});
      shelf.close();
    }
    try {
      indexedDB.deleteDatabase(this.name);
    } catch {
      // No IndexedDB: nothing to delete.
    }
  }

  /** Sends what this tab holds by beacon, then forgets everything (logout). */
  reset() {
    this.beacon();
    this.keep([]);
    this.unsaved = [];
    const shelf = this.shelf;
    if (shelf) this.writes = this.writes.then(() => shelf.clear()).catch(() => {});
  }

  flush() {
    this.send(true);
  }

  close() {
    this.send(true);
    for (const remove of this.listeners) remove();
    this.listeners = [];
    this.stopTimer();
  }

  /** This tab's entries are now `entries`. */
  keep(entries) {
    this.mine = entries;
    this.bytes = entries.reduce((n, e) => n + e.json.length, 0);
  }

  stopTimer() {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Forgets entries: acknowledged, refused, or dropped to stay within bounds. */
  forget(ids, dropped = false) {
    const gone = new Set(ids);
    this.keep(this.mine.filter((e) => !gone.has(e.id)));
    // Not yet written: they never will be.
    if (this.unsaved.length) this.unsaved = this.unsaved.filter((e) => !gone.has(e.id));
    // A set: an id dropped by this tab's bound and again by a cycle counts once.
    if (dropped) for (const id of ids) this.dropped.add(id);
    const shelf = this.shelf;
    if (!shelf || !ids.length) return undefined;
    // After the writes already under way: a delete that overtook its entry's write would
    // leave the entry behind, to be sent or dropped a second time.
    this.writes = this.writes.then(() => shelf.del(ids)).catch(() => {});
    return this.writes;
  }

  /** One timer: when this tab's oldest event is due, but not before a backoff ends. */
  schedule() {
    this.stopTimer();
    if (this.state !== 'granted' || !navigator.onLine) return; // 'online' restarts sending
    if (!this.mine.length && !this.failures && !this.leftovers) return;
    const due = Math.max(this.mine.length ? this.mine[0].at + this.maxDelay : 0, this.retryAt);
    // Never sooner than half a second: a cycle that keeps failing must not spin.
    this.timer = setTimeout(() => { this.timer = undefined; this.send(); }, Math.max(500, due - Date.now()));
  }

  send(force = false) {
    // Not before the outbox is open (open() sends once it is).
    if (this.state !== 'granted' || this.shelf === undefined) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    const cycle = () => this.cycle(force).catch((error) => {
      if (!this.failures) warn('sending failed; will retry:', error);
      this.backOff(NaN);
    });
    const locks = navigator.locks;
    // Without Web Locks, tabs may send the same event twice; the collector deduplicates.
    const run = locks && locks.request ? locks.request(this.name + ':outbox', cycle).catch(cycle) : cycle();
    run.then(() => {
      this.busy = false;
      // Reported once sending works again and the outbox has room: the report must not
      // itself push another event out.
      if (this.dropped.size && !this.failures && !this.leftovers && this.mine.length < this.maxEvents) {
        const count = this.dropped.size;
        this.dropped.clear();
        this.onDropped(count);
      }
      if (this.again) {
        this.again = false;
        this.send();
      } else {
        this.schedule();
      }
    });
  }

  async cycle(force) {
    // Every entry before the watermark has been written (or failed to be) by the time
    // the writes settle, so the read below sees it unless it was acknowledged.
    const watermark = this.seq;
    this.store(); // what this task recorded, now rather than after the task
    await this.writes;
    const shelf = this.shelf;
    const events = shelf ? await shelf.all() : [];
    const stored = new Set(events.map((e) => e.id));
    // This tab's entries that are saved but not in the outbox were sent by another tab.
    this.keep(this.mine.filter((e) => !e.saved || e.seq >= watermark || stored.has(e.id)));
    // Entries that could not be written are sent from memory.
    for (const e of this.mine) if (e.seq < watermark && !stored.has(e.id)) events.push(e);
    events.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const { drop, batches: work } = this.plan(events);
    if (drop) await this.forget(events.slice(0, drop).map((e) => e.id), true);
    // Events left unsent (this tab's or not) keep a timer running until they are sent.
    this.leftovers = events.length > drop;
    if (!this.leftovers || !navigator.onLine || (!force && Date.now() < this.retryAt)) return;
    while (work.length) {
      const batch = work.shift();
      const ids = batch.map((e) => e.id);
      const result = await post(this.url, body(this.key, batch));
      if (result.ok) {
        this.failures = 0;
        this.retryAt = 0;
        // Dropped from this tab's list while in flight, and delivered all the same: not lost.
        for (const id of ids) this.dropped.delete(id);
        await this.forget(ids);
        if (result.rejected) warn(`the collector rejected ${result.rejected} event(s) that break its rules; see the results of its answer. They are dropped.`);
      } else if (result.retry) {
        this.backOff(result.after ?? NaN);
        return;
      } else if (result.status === 413 && batch.length > 1) {
        const half = batch.length >> 1;
        work.unshift(batch.slice(0, half), batch.slice(half));
      } else {
        await this.forget(ids);
        // One warning per reason and page: a page with a wrong key must not flood the console.
        if (!this.refusals.has(result.reason)) {
          this.refusals.add(result.reason);
          warn('the collector refused events and would refuse them again; they are dropped, as will be any further events refused for this reason:', result.reason);
        }
      }
    }
    this.leftovers = false;
  }

  backOff(retryAfter) {
    this.failures += 1;
    this.retryAt = Date.now() + this.core.retryWait(this.failures, retryAfter, (Math.random() * 2 ** 32) >>> 0);
  }

  /** The page is going: this tab's events leave by beacon, in chunks the browser takes. */
  beacon() {
    if (this.state !== 'granted' || !this.mine.length || !navigator.sendBeacon) return;
    const work = this.plan(this.mine).batches;
    while (work.length) {
      const chunk = work.shift();
      let sent = false;
      try {
        sent = navigator.sendBeacon(this.url, body(this.key, chunk));
      } catch {
        sent = false;
      }
      if (sent) continue;
      if (chunk.length < 2) return; // the browser takes no more now; the next page sends the rest
      const half = chunk.length >> 1;
      work.unshift(chunk.slice(0, half), chunk.slice(half));
    }
  }
}
