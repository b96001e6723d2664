/** Options for {@link load}. */
export interface LoadOptions {
  /** The project id. */
  project: string;
  /** The project's public write key (`pk_...`). Never put a secret key in a page. */
  key: string;
  /** The collector's origin, e.g. `https://collector.example.com`. */
  host: string;
  /** The wasm: where to fetch it from, its response, or the module already compiled; defaults to the file beside this module. */
  wasm?: string | URL | Request | Response | Promise<Response> | WebAssembly.Module | Promise<WebAssembly.Module>;
  /**
   * Where the wasm (by default) and the experiences module (`experiences-<hash>.mjs` and its
   * wasm, fetched only when a tour or survey is eligible) are: a folder's URL ending in `/`,
   * or a file's URL beside them. Defaults to this module's URL; set it when a bundler moves
   * this module away from the files it ships with.
   */
  base?: string | URL;
  /** Record a page view on load and on every single-page navigation. Default `true`. */
  autocapture?: boolean;
  /** A pre-load call queue (the snippet's `window.waymark`) to replay and upgrade in place. */
  queue?: unknown[];
  /**
   * Consent until `consent()` says otherwise. Default `'granted'`. With `'pending'`, events
   * wait in memory: nothing is sent or stored until consent is granted. The SDK does not
   * remember consent itself: pass your consent manager's answer on every page load.
   */
  consent?: Consent;
  /** Treat Do-Not-Track and Global Privacy Control as consent denied. Default `false`. */
  honorPrivacySignals?: boolean;
  /** Send e-mail addresses found in properties and traits unmasked. Default `false`. */
  allowEmails?: boolean;
  /** Send payment card numbers found in properties and traits unmasked. Default `false`. */
  allowCardNumbers?: boolean;
}

/** What the visitor agreed to. */
export type Consent = 'granted' | 'pending' | 'denied';

/** Event properties and user traits: anything JSON can carry. */
export type Properties = Record<string, unknown>;

/** The Waymark API. No method throws; bad arguments get a console warning. */
export interface Waymark {
  /**
   * Records a custom event. Names starting with `$` are reserved. Returns at once: the SDK
   * keeps a JSON copy of `properties` and records the event within a few milliseconds, in
   * order with every other call; a call it might refuse is recorded (and warned about) at once.
   */
  track(name: string, properties?: Properties): void;
  /** Links this browser to a user of your app and records the user's traits. */
  identify(userId: string | number, traits?: Properties): void;
  /** Records a page view of the current URL (automatic unless `autocapture: false`). */
  page(): void;
  /** Sends every pending event now. */
  flush(): void;
  /**
   * Sets consent. `'granted'`: store and send, including what was held while pending.
   * `'pending'`: hold new events in memory. `'denied'`: record nothing and delete everything
   * the SDK stored (outbox, profile, ids).
   */
  consent(state: Consent): void;
  /**
   * Call on logout: sends what is pending, then clears the user id, the behaviour profile
   * and the outbox, and starts a new anonymous id.
   */
  reset(): void;
  /** Stops the SDK, sends what is pending and restores what it changed on the page. */
  shutdown(): void;
  /** The behaviour profile as targeting conditions see it (`behavior.*`), for checking targeting. */
  readonly behavior: Record<string, unknown>;
  /** This browser's anonymous id (a UUID v7). */
  readonly anonymousId: string;
  readonly ready: true;
}

/** Loads and starts the SDK. Resolves to the API; rejects with an Error naming the problem. */
export function load(options: LoadOptions): Promise<Waymark>;
