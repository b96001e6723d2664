/** Options for {@link load}. */
export interface LoadOptions {
  /** The project id. */
  project: string;
  /** The project's public write key (`pk_...`). Never put a secret key in a page. */
  key: string;
  /** The collector's origin, e.g. `https://collector.example.com`. */
  host: string;
  /** Where to fetch the wasm module from; defaults to the file beside this module. */
  wasm?: string | URL | Request | Response | Promise<Response>;
  /** Record a page view on load and on every single-page navigation. Default `true`. */
  autocapture?: boolean;
  /** A pre-load call queue (the snippet's `window.waymark`) to replay and upgrade in place. */
  queue?: unknown[];
}

/** Event properties and user traits: anything JSON can carry. */
export type Properties = Record<string, unknown>;

/** The Waymark API. No method throws; bad arguments get a console warning. */
export interface Waymark {
  /** Records a custom event. Names starting with `$` are reserved. */
  track(name: string, properties?: Properties): void;
  /** Links this browser to a user of your app and records the user's traits. */
  identify(userId: string | number, traits?: Properties): void;
  /** Records a page view of the current URL (automatic unless `autocapture: false`). */
  page(): void;
  /** Sends every pending event now. */
  flush(): void;
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
