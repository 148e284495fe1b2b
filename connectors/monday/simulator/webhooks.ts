// monday as a webhook sender. Registering a URL (create_webhook, or the control surface) POSTs
// `{"challenge": "<random>"}` and expects the same JSON back (monday's documented handshake); then
// every matching change is POSTed as `{"event": {...}}` with monday's payload keys (`type`, `app`,
// `boardId`, `pulseId`, `pulseName`, `columnId`, `columnType`, `value`, `previousValue`,
// `changedAt`, `userId`, `triggerTime`, `triggerUuid`, `subscriptionId`, …). Hooks created with a
// personal token are unsigned; with `signingSecret` set, deliveries carry an `Authorization` JWT
// (HS256) as app-created hooks do. Deliveries are attempted once and recorded; failed ones can be
// redelivered on demand.

import { createHmac, randomBytes } from 'node:crypto';
import { type ItemRec, type MondayDataset, type UserRec, type WebhookRec, isoMillis } from './model';
import { groupRef, isTopGroup, nextId } from './records';
import { type MondayStore, type StoreEvent } from './store';
import { LEGACY_TYPE, logValue } from './values';

export const WEBHOOK_EVENTS = [
  'change_column_value',
  'change_name',
  'change_specific_column_value',
  'change_status_column_value',
  'change_subitem_column_value',
  'change_subitem_name',
  'create_column',
  'create_item',
  'create_subitem',
  'create_subitem_update',
  'create_update',
  'delete_update',
  'edit_update',
  'item_archived',
  'item_deleted',
  'item_moved_to_any_group',
  'item_moved_to_specific_group',
  'item_restored',
  'move_subitem',
  'subitem_archived',
  'subitem_deleted',
] as const;

export interface WebhookDelivery {
  webhookId: string;
  url: string;
  event: string;
  body: { event: Record<string, unknown> };
  headers: Record<string, string>;
  /** HTTP status of the receiver's answer; null when it could not be reached. */
  status: number | null;
  error: string | null;
  at: number;
}

export class WebhookError extends Error {}

export class WebhookSender {
  readonly deliveries: WebhookDelivery[] = [];
  signingSecret: string | null = null;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly store: MondayStore,
    private readonly dataset: MondayDataset,
  ) {
    store.onEvent((e) => this.dispatch(e));
  }

  /** The challenge handshake, then the hook exists. Throws WebhookError when the URL does not echo. */
  async register(input: { boardId: string; url: string; event: string; config: Record<string, unknown> | null; user: UserRec }): Promise<WebhookRec> {
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw new WebhookError(`Invalid URL: ${input.url}`);
    }
    const challenge = randomBytes(24).toString('base64url');
    let echoed: unknown;
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ challenge }), signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new WebhookError(`the URL answered HTTP ${res.status}`);
      echoed = await res.json();
    } catch (err) {
      throw new WebhookError(`Failed to communicate with URL provided. (${err instanceof Error ? err.message : String(err)})`);
    }
    if (!echoed || typeof echoed !== 'object' || (echoed as { challenge?: unknown }).challenge !== challenge) {
      throw new WebhookError('Failed to communicate with URL provided. (the answer did not echo the challenge)');
    }
    const hook: WebhookRec = {
      id: nextId(this.dataset, 'webhook'),
      boardId: input.boardId,
      url: url.toString(),
      event: input.event,
      config: input.config,
      createdAt: this.store.tick(),
      createdBy: input.user,
    };
    this.dataset.webhooks.push(hook);
    return hook;
  }

  remove(id: string): WebhookRec | undefined {
    const i = this.dataset.webhooks.findIndex((h) => h.id === id);
    if (i < 0) return undefined;
    return this.dataset.webhooks.splice(i, 1)[0];
  }

  /** Waits for every delivery in flight. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Sends every failed delivery again (monday retries failed deliveries for a while). */
  async redeliverFailed(): Promise<void> {
    const failed = this.deliveries.filter((d) => d.status === null || d.status >= 300);
    for (const d of failed) this.post(d.webhookId, d.url, d.event, d.body);
    await this.flush();
  }

  /** Sends a hand-made event to a hook (for receiver tests): `{"event": event}`. */
  sendRaw(webhookId: string, event: Record<string, unknown>): Promise<void> {
    const hook = this.dataset.webhooks.find((h) => h.id === webhookId);
    if (!hook) throw new WebhookError(`No webhook ${webhookId}`);
    this.post(hook.id, hook.url, String(event.type ?? hook.event), { event });
    return this.flush();
  }

  private dispatch(e: StoreEvent): void {
    const hooks = this.dataset.webhooks;
    if (hooks.length === 0) return;
    const item = 'item' in e ? e.item : e.type === 'create_update' || e.type === 'delete_update' ? e.update.item : null;
    const sub = item?.parent !== null && item?.parent !== undefined;
    const board = e.type === 'create_column' ? e.column.board : item ? (sub ? (item.board.parentBoard ?? item.board) : item.board) : null;
    if (!board) return;
    for (const hook of hooks) {
      if (hook.boardId !== board.id) continue;
      const cfg = hook.config ?? {};
      let match = false;
      switch (e.type) {
        case 'column':
          match = sub
            ? hook.event === 'change_subitem_column_value'
            : hook.event === 'change_column_value' ||
              (hook.event === 'change_status_column_value' && e.column.type === 'status' && (cfg.columnId === undefined || cfg.columnId === e.column.id)) ||
              (hook.event === 'change_specific_column_value' && cfg.columnId === e.column.id);
          break;
        case 'rename':
          match = hook.event === (sub ? 'change_subitem_name' : 'change_name');
          break;
        case 'create_item':
          match = hook.event === (sub ? 'create_subitem' : 'create_item');
          break;
        case 'create_update':
          match = hook.event === (sub ? 'create_subitem_update' : 'create_update');
          break;
        case 'delete_update':
          match = hook.event === 'delete_update';
          break;
        case 'state':
          match =
            e.state === 'archived'
              ? hook.event === (sub ? 'subitem_archived' : 'item_archived')
              : e.state === 'deleted'
                ? hook.event === (sub ? 'subitem_deleted' : 'item_deleted')
                : hook.event === 'item_restored';
          break;
        case 'move':
          match = !sub && (hook.event === 'item_moved_to_any_group' || (hook.event === 'item_moved_to_specific_group' && cfg.groupId === e.to.id));
          break;
        case 'create_column':
          match = hook.event === 'create_column';
          break;
      }
      if (match) this.post(hook.id, hook.url, hook.event, { event: this.payload(e, hook, item) });
    }
  }

  private payload(e: StoreEvent, hook: WebhookRec, item: ItemRec | null): Record<string, unknown> {
    const base: Record<string, unknown> = {
      app: 'monday',
      type: '',
      triggerTime: isoMillis(e.at),
      subscriptionId: Number(hook.id),
      userId: Number(e.user.id),
      originalTriggerUuid: null,
      triggerUuid: randomBytes(16).toString('hex'),
    };
    if (item) {
      Object.assign(base, {
        boardId: Number(item.board.id),
        pulseId: Number(item.id),
        pulseName: item.name,
        groupId: item.group.id,
        groupName: item.group.title,
        isTopGroup: isTopGroup(item.group),
      });
      if (item.parent) Object.assign(base, { parentItemId: String(item.parent.id), parentItemBoardId: String(item.parent.board.id) });
    }
    switch (e.type) {
      case 'column':
        return {
          ...base,
          type: 'update_column_value',
          columnId: e.column.id,
          columnType: LEGACY_TYPE[e.column.type],
          columnTitle: e.column.title,
          value: logValue(e.next, e.column),
          previousValue: logValue(e.prev, e.column),
          changedAt: e.at / 1000,
        };
      case 'rename':
        return { ...base, type: 'update_name', value: { name: e.item.name }, previousValue: { name: e.previous } };
      case 'create_item':
        return { ...base, type: 'create_pulse', groupColor: e.item.group.color, columnValues: {} };
      case 'create_update':
        return {
          ...base,
          type: 'create_update',
          updateId: Number((e.reply ?? e.update).id),
          replyId: e.reply ? Number(e.reply.id) : null,
          parentUpdateId: e.reply ? Number(e.update.id) : null,
          body: (e.reply ?? e.update).body,
          textBody: (e.reply ?? e.update).textBody,
        };
      case 'delete_update':
        return { ...base, type: 'delete_update', updateId: Number(e.update.id) };
      case 'state':
        return { ...base, type: e.state === 'archived' ? 'archive_pulse' : e.state === 'deleted' ? 'delete_pulse' : 'restore_pulse' };
      case 'move':
        return { ...base, type: 'move_pulse_into_group', sourceGroupId: e.from.id, destGroupId: e.to.id, sourceGroup: groupRef(e.from), destGroup: groupRef(e.to) };
      case 'create_column':
        return { ...base, type: 'create_column', boardId: Number(e.column.board.id), columnId: e.column.id, columnType: LEGACY_TYPE[e.column.type], columnTitle: e.column.title };
    }
  }

  private jwt(url: string, user: UserRec): string {
    const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const iat = Math.floor(this.store.clock() / 1000);
    const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ accountId: Number(this.dataset.account.id), userId: Number(user.id), aud: url, iat, exp: iat + 300 })}`;
    return `${head}.${createHmac('sha256', this.signingSecret ?? '').update(head).digest('base64url')}`;
  }

  private post(webhookId: string, url: string, event: string, body: { event: Record<string, unknown> }): void {
    const hook = this.dataset.webhooks.find((h) => h.id === webhookId);
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (this.signingSecret !== null && hook) headers.Authorization = this.jwt(url, hook.createdBy);
    const delivery: WebhookDelivery = { webhookId, url, event, body, headers, status: null, error: null, at: this.store.clock() };
    this.deliveries.push(delivery);
    const p = fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) })
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
