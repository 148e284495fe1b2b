// Record constructors and id shapes shared by the generator and the live store, so that every
// record of a kind has the same fields in the same order.

import { createHash } from 'node:crypto';
import { type DrivePerson, type FileRec, ID_ALPHABET } from './model';

export interface NewFile {
  seq: number;
  id: string;
  name: string;
  mimeType: string;
  parent: FileRec | null;
  createdTime: number;
  owner: DrivePerson;
  isRoot?: boolean;
  driveId?: string | null;
}

export function createFileRec(f: NewFile): FileRec {
  return {
    seq: f.seq,
    id: f.id,
    name: f.name,
    mimeType: f.mimeType,
    parents: f.parent ? [f.parent.id] : [],
    driveId: f.driveId !== undefined ? f.driveId : f.parent ? f.parent.driveId : null,
    isRoot: f.isRoot ?? false,
    createdTime: f.createdTime,
    modifiedTime: f.createdTime,
    owner: f.owner,
    lastModifyingUser: f.owner,
    editedBy: new Map([[f.owner.email, f.createdTime]]),
    description: null,
    starred: false,
    trashed: false,
    explicitlyTrashed: false,
    trashedTime: null,
    trashingUser: null,
    appProperties: {},
    properties: {},
    version: 1,
    revisions: [],
    comments: [],
    editorSize: 0,
    deleted: false,
    deletedTime: null,
    hidden: false,
    changeIndex: -1,
    nextRevision: 1,
  };
}

const ALNUM = ID_ALPHABET.slice(0, 62);

/** Deterministic ids for records created after generation (by the API or the control surface). */
export class IdMint {
  private n = 0;
  constructor(private readonly seed: string) {}

  private chars(prefix: string, length: number, alphabet: string): string {
    const digest = createHash('sha256').update(`${this.seed}:${prefix}:${this.n++}`).digest();
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[(digest[i % digest.length] as number + Math.floor(i / digest.length) * 7) % alphabet.length];
    return s;
  }

  /** `1` + 32 characters: the shape of a Drive file id (and of the ids Asana's `view_url`s carry). */
  fileId(): string {
    return `1${this.chars('file', 32, ID_ALPHABET)}`;
  }
  binaryRevisionId(): string {
    return `0B${this.chars('rev', 44, ALNUM)}`;
  }
  commentId(): string {
    return `AAAA${this.chars('comment', 7, ALNUM)}`;
  }
}

/** A stand-in MD5 (hex) for generated content. */
export function md5Of(text: string | Buffer): string {
  return createHash('md5').update(text).digest('hex');
}

export function sha1Of(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

export function sha256Of(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function mimeForName(name: string, byExt: Readonly<Record<string, string>>): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  return (ext && byExt[ext]) || 'application/octet-stream';
}
