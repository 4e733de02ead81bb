/**
 * The popup's caller, remembered: a flow start from a popup is decided by its Referer alone (the
 * page that opened it, checked against the app's domains, caller.ts), and an app's popups come
 * from the same few pages. Parsing the Referer and matching the rules again on every start cost
 * the start about a microsecond under load; a page allowed once is looked up instead.
 *
 * Only an allowed page is remembered, only where the Referer decided (not an Origin, `d` or
 * redirect_uri), and per app object: a config reload makes new app objects, so a changed
 * whitelist is never answered from an old one. A bounded number of pages per app (a flood of
 * distinct Referers only clears the list, it never grows it).
 */
import type { Delivery } from './flows.js';
import type { BrokerApp } from './types.js';

const MAX_PAGES_PER_APP = 256;

type PopupDelivery = Readonly<Extract<Delivery, { mode: 'popup' }>>;

interface Remembered {
  brokerOrigin: string;
  byReferer: Map<string, PopupDelivery>;
}

export class PopupCallers {
  private readonly byApp = new WeakMap<BrokerApp, Remembered>();

  /** The popup delivery already decided for this app, broker origin and Referer. */
  get(app: BrokerApp, brokerOrigin: string, referer: string): PopupDelivery | undefined {
    const remembered = this.byApp.get(app);
    return remembered?.brokerOrigin === brokerOrigin ? remembered.byReferer.get(referer) : undefined;
  }

  /** Remembers an allowed popup's delivery, decided by its Referer. */
  remember(app: BrokerApp, brokerOrigin: string, referer: string, delivery: PopupDelivery): void {
    let remembered = this.byApp.get(app);
    if (remembered?.brokerOrigin !== brokerOrigin) {
      remembered = { brokerOrigin, byReferer: new Map() };
      this.byApp.set(app, remembered);
    }
    if (remembered.byReferer.size >= MAX_PAGES_PER_APP) remembered.byReferer.clear();
    remembered.byReferer.set(referer, Object.freeze({ ...delivery }));
  }
}
