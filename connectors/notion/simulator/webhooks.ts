// Notion as a webhook sender (vendor-apis §3.5). A subscription is made in the integration's
// settings in the real app (no API), so here the control surface makes it: Notion first POSTs
// `{"verification_token": "<secret>"}` to the URL, and from then on signs every event with that
// token: `X-Notion-Signature: sha256=<hex HMAC-SHA256 over the raw body>` (@notionhq/client 5.26
// `build/src/webhooks.js`; simulator.unit.test.ts checks the SDK's verifyWebhookSignature accepts it).
// Events are thin (`webhooks.d.ts`): ids of the entity, its parent and the changed properties,
// never values. Each delivery is attempted once and recorded; failed ones can be redelivered with
// the next attempt_number.

import { createHmac, randomBytes } from 'node:crypto';
import { type NotionDataset, type NotionVersion, type PageRec } from './model';
import { type NotionStore, type StoreEvent } from './store';

export const WEBHOOK_EVENT_TYPES = ['page.created', 'page.properties_updated', 'page.deleted', 'page.undeleted', 'comment.created', 'comment.updated'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export const SIGNATURE_HEADER = 'X-Notion-Signature';

export interface WebhookSubscription {
  id: string;
  url: string;
  verificationToken: string;
  eventTypes: WebhookEventType[];
  apiVersion: NotionVersion;
}

export interface WebhookDelivery {
  subscriptionId: string;
  url: string;
  /** `verification` for the handshake, else the event type. */
  type: string;
  /** The exact bytes sent (the signature covers them). */
  body: string;
  headers: Record<string, string>;
  attempt: number;
  /** HTTP status of the receiver's answer; null when it could not be reached. */
  status: number | null;
  error: string | null;
  at: number;
  /** A later attempt has been made for this failed delivery. */
  redelivered: boolean;
}

export class WebhookError extends Error {}

export function signBody(body: string, verificationToken: string): string {
  return `sha256=${createHmac('sha256', verificationToken).update(body).digest('hex')}`;
}

export class WebhookSender {
  readonly subscriptions: WebhookSubscription[] = [];
  readonly deliveries: WebhookDelivery[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly store: NotionStore,
    private readonly dataset: NotionDataset,
  ) {
    store.onEvent((e) => this.dispatch(e));
  }

  /** The verification request, then the subscription is active (the user pasting the token back is implied). */
  async subscribe(url: string, options: { eventTypes?: readonly string[]; apiVersion?: NotionVersion; verificationToken?: string } = {}): Promise<WebhookSubscription> {
    try {
      new URL(url);
    } catch {
      throw new WebhookError(`url: expected an absolute URL, got ${JSON.stringify(url)}`);
    }
    const types = options.eventTypes ?? WEBHOOK_EVENT_TYPES;
    for (const t of types) if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(t)) throw new WebhookError(`eventTypes: ${t} is not one of ${WEBHOOK_EVENT_TYPES.join(', ')}`);
    const sub: WebhookSubscription = {
      id: this.store.mintId(),
      url,
      verificationToken: options.verificationToken ?? `secret_${randomBytes(24).toString('base64url')}`,
      eventTypes: [...types] as WebhookEventType[],
      apiVersion: options.apiVersion ?? '2025-09-03',
    };
    this.post(sub, 'verification', JSON.stringify({ verification_token: sub.verificationToken }), 1, false);
    await this.flush();
    this.subscriptions.push(sub);
    return sub;
  }

  unsubscribe(id: string): void {
    const i = this.subscriptions.findIndex((s) => s.id === id);
    if (i < 0) throw new WebhookError(`no webhook subscription ${id}`);
    this.subscriptions.splice(i, 1);
  }

  /** Waits for every delivery in flight. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Sends every failed event delivery again, with the next attempt_number. */
  async redeliverFailed(): Promise<void> {
    const failed = this.deliveries.filter((d) => d.type !== 'verification' && (d.status === null || d.status >= 300) && !d.redelivered);
    for (const d of failed) {
      d.redelivered = true;
      const sub = this.subscriptions.find((s) => s.id === d.subscriptionId);
      if (!sub) continue;
      const payload = JSON.parse(d.body) as Record<string, unknown>;
      payload.attempt_number = d.attempt + 1;
      this.post(sub, d.type, JSON.stringify(payload), d.attempt + 1, true);
    }
    await this.flush();
  }

  /** Signs and sends a hand-made payload (for receiver tests). */
  sendRaw(subscriptionId: string, payload: Record<string, unknown>): Promise<void> {
    const sub = this.subscriptions.find((s) => s.id === subscriptionId);
    if (!sub) throw new WebhookError(`no webhook subscription ${subscriptionId}`);
    this.post(sub, String(payload.type ?? 'custom'), JSON.stringify(payload), Number(payload.attempt_number ?? 1), true);
    return this.flush();
  }

  private parentOf(page: PageRec): { id: string; type: 'database'; data_source_id: string } {
    return { id: page.dataSource.database.id, type: 'database', data_source_id: page.dataSource.id };
  }

  private dispatch(e: StoreEvent): void {
    if (this.subscriptions.length === 0) return;
    const page = 'page' in e ? e.page : e.comment.page;
    // Notion only tells an integration about what is shared with it.
    if (!page.dataSource.database.shared) return;
    for (const sub of this.subscriptions) {
      if (!sub.eventTypes.includes(e.type)) continue;
      const payload: Record<string, unknown> = {
        id: this.store.mintId(),
        timestamp: new Date(e.at).toISOString(),
        workspace_id: this.dataset.workspace.id,
        workspace_name: this.dataset.workspace.name,
        subscription_id: sub.id,
        integration_id: this.dataset.integrationId,
        authors: [{ id: e.actor.id, type: e.actor.type }],
        attempt_number: 1,
        api_version: sub.apiVersion,
        type: e.type,
      };
      if (e.type === 'comment.created' || e.type === 'comment.updated') {
        payload.entity = { id: e.comment.id, type: 'comment' };
        payload.data = { page_id: page.id, parent: { id: page.id, type: 'page' } };
      } else {
        payload.entity = { id: page.id, type: 'page' };
        payload.data = e.type === 'page.properties_updated' ? { parent: this.parentOf(page), updated_properties: e.propertyIds } : { parent: this.parentOf(page) };
      }
      this.post(sub, e.type, JSON.stringify(payload), 1, true);
    }
  }

  private post(sub: WebhookSubscription, type: string, body: string, attempt: number, signed: boolean): void {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'notion-api' };
    if (signed) headers[SIGNATURE_HEADER] = signBody(body, sub.verificationToken);
    const delivery: WebhookDelivery = { subscriptionId: sub.id, url: sub.url, type, body, headers, attempt, status: null, error: null, at: this.store.clock(), redelivered: false };
    this.deliveries.push(delivery);
    const p = fetch(sub.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) })
      .then(async (res) => {
        delivery.status = res.status;
        await res.arrayBuffer();
      })
      .catch((err: unknown) => {
        delivery.error = err instanceof Error ? err.message : String(err);
      })
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}
