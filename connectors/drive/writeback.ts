// Drive writes (vendor-apis.md §4.6): stage and status go into the file's appProperties (private to
// Stageline's OAuth client), notes into comments. On the same terms as the reads: one DriveTransport
// (limiter, counter, abort check, error reading) per writer. Writes share the credential's budget,
// which is why they take the same limiter. Idempotence across retries is the outbox's job; this file
// only avoids a write whose target is already there when the caller says what is there.
import type { ConnectorClientOptions } from '../index';
import { type CallCounter, ConnectorError } from '../types';
import { DriveTransport, assertId } from './client';
import { APP_PROPERTIES_MAX, APP_PROPERTY_MAX_BYTES, WRITE_COMMENT_FIELDS, WRITE_FILE_FIELDS } from './manifest';

export class DriveWriter {
  readonly counter: CallCounter;
  private readonly t: DriveTransport;

  constructor(opts: ConnectorClientOptions) {
    this.t = new DriveTransport(opts);
    this.counter = this.t.counter;
  }

  /**
   * https://developers.google.com/workspace/drive/api/reference/rest/v3/files/update — sets the keys
   * of `target` whose value differs from `current` (the file's appProperties as last read); a null
   * deletes a key that `current` holds. Nothing differs: no call, false. Drive's limits are checked
   * before sending (key + value ≤ 124 bytes UTF-8, ≤ 30 private properties after the write), so an
   * over-long value fails here, naming its key, instead of as an opaque 400.
   */
  async setAppProperties(fileId: string, target: Record<string, string | null>, current: Record<string, string>): Promise<boolean> {
    assertId('fileId', fileId);
    const changes: Record<string, string | null> = {};
    for (const [key, value] of Object.entries(target)) {
      if (key === '') throw new ConnectorError('invalid_config', 'Google Drive setAppProperties: an empty property key');
      if (value === null) {
        if (Object.hasOwn(current, key)) changes[key] = null;
      } else if (typeof value !== 'string') {
        throw new ConnectorError('invalid_config', `Google Drive setAppProperties: the value of "${key}" is not a string`);
      } else if (!Object.hasOwn(current, key) || current[key] !== value) {
        const bytes = Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8');
        if (bytes > APP_PROPERTY_MAX_BYTES) {
          throw new ConnectorError('invalid_config', `Google Drive setAppProperties: "${key}" and its value take ${bytes} bytes (UTF-8); Drive allows ${APP_PROPERTY_MAX_BYTES} per property`);
        }
        changes[key] = value;
      }
    }
    if (Object.keys(changes).length === 0) return false;
    const after = new Set(Object.keys(current));
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) after.delete(k);
      else after.add(k);
    }
    if (after.size > APP_PROPERTIES_MAX) {
      const added = Object.keys(changes).filter((k) => changes[k] !== null && !Object.hasOwn(current, k));
      throw new ConnectorError('invalid_config', `Google Drive setAppProperties: writing ${added.map((k) => `"${k}"`).join(', ')} would leave ${after.size} private properties on the file; Drive allows ${APP_PROPERTIES_MAX}`);
    }
    // appProperties is typed Record<string, string>, yet "entries with null values are cleared"
    // (v3.d.ts Schema$File.appProperties): a null has to be cast past the client's types.
    await this.t.call('PATCH /files/{fileId}', (api) =>
      api.files.update({ fileId, supportsAllDrives: true, fields: WRITE_FILE_FIELDS, requestBody: { appProperties: changes as Record<string, string> } }),
    );
    return true;
  }

  /**
   * https://developers.google.com/workspace/drive/api/reference/rest/v3/comments/create — a plain-text
   * comment on the file, shown as by the token's user. When the same text is already among
   * `existingBodies` (the file's comment bodies as last read), no call is made and null comes back.
   */
  async addComment(fileId: string, content: string, existingBodies: readonly string[]): Promise<{ id: string } | null> {
    assertId('fileId', fileId);
    if (typeof content !== 'string' || content.trim() === '') throw new ConnectorError('invalid_config', 'Google Drive addComment: the comment text is empty');
    const wanted = content.trim();
    if (existingBodies.some((b) => b === content || b.trim() === wanted)) return null;
    const body = await this.t.call('POST /files/{fileId}/comments', (api) => api.comments.create({ fileId, fields: WRITE_COMMENT_FIELDS, requestBody: { content } }));
    if (typeof body.id !== 'string' || body.id === '') {
      throw new ConnectorError('schema_drift', 'Google Drive POST /files/{fileId}/comments: the answer has no comment id', { endpoint: 'POST /files/{fileId}/comments' });
    }
    return { id: body.id };
  }
}
