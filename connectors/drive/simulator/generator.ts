// The agency's Google Drive, built from the same generated agency as the Asana simulator: a shared
// drive "Lumen & Lark Creative" with a folder per client and per campaign (named like the Asana
// projects), Briefs/Working/Final subfolders, the asset files behind the Asana tasks' versions
// (every Drive-hosted Asana attachment exists here under the id its view_url names), plus what real
// drives also hold: files no task claims, files whose names get the key wrong, Google Docs without
// checksums, comment threads with resolve and reopen replies, deleted comments, a file moved between
// folders, trashed and deleted files, purged old revisions. The ground truth is recorded as it goes.

import { CF, type GeneratedAgency } from '../../asana/simulator';
import { type ProjectRec, type TaskRec, type UserRec } from '../../asana/simulator/model';
import { Rng } from '../../asana/simulator/rng';
import { AGENCY, ASSET_TYPES, type AssetTypeDef } from '../../asana/simulator/vocabulary';
import {
  type ChangeRec,
  type CommentRec,
  type DriveDataset,
  type DriveFileTruth,
  type DrivePerson,
  type DriveTruth,
  type FileCategory,
  type FileRec,
  type FolderTruth,
  type GeneratedDrive,
  type ReplyRec,
  type RevisionRec,
  ID_ALPHABET,
  MIME,
  MIME_BY_EXT,
  isBinaryMime,
  isGoogleEditorMime,
} from './model';
import { createFileRec, md5Of, mimeForName } from './records';
import { carriesKey, commentTruth, linkKindFor, revisionTruth } from './truth';
import { BRIEF_QUOTES, DRIVE_COMMENTS, FOLDERS, FREELANCERS, STRAY_NAMES, STRAY_WORDS } from './vocabulary';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Drive purges a superseded binary revision 30 days later unless it is kept forever. */
export const REVISION_PURGE_MS = 30 * DAY;

export interface GenerateDriveOptions {
  seed: number | string;
}

type MisnameKind = 'typo' | 'case' | 'size';

interface Meta {
  category: FileCategory;
  assetKey: string | null;
  taskGid: string | null;
  explicit: boolean;
  attachmentGids: string[];
  versionNumbers: number[];
  previousFolderPaths: string[];
  /** revision id → asset version it holds */
  revisionVersions: Map<string, number>;
  purged: number;
}

interface Team {
  am: UserRec;
  cd: UserRec;
  producer: UserRec;
  copywriter: UserRec;
  designers: UserRec[];
  reviewers: UserRec[];
}

interface Campaign {
  project: ProjectRec;
  team: Team;
  folder: FileRec;
  working: FileRec;
  final: FileRec;
  briefs: FileRec;
}

export function generateDrive(agency: GeneratedAgency, options: GenerateDriveOptions): GeneratedDrive {
  return new DriveGenerator(agency, String(options.seed)).run();
}

class DriveGenerator {
  private readonly rng: Rng;
  private readonly now: number;
  private readonly files: FileRec[] = [];
  private readonly byId = new Map<string, FileRec>();
  private readonly meta = new Map<FileRec, Meta>();
  private readonly folders = new Map<string, FolderTruth>();
  private readonly people = new Map<string, DrivePerson>();
  private readonly taken = new Set<string>();
  private readonly keys = new Map<string, string>();
  private readonly asanaNames = new Map<string, string>();
  private readonly freelancers: DrivePerson[] = [];
  private readonly handoffs: FileRec;
  private readonly sharedRoot: FileRec;
  private readonly myRoot: FileRec;
  private readonly dataset: DriveDataset;
  /** Counters that guarantee every quirk appears even in a small dataset. */
  private assetFiles = 0;
  private misnamed = 0;
  private moved = 0;
  private trashed = 0;
  private deleted = 0;
  private threads = 0;
  private revisionFiles = 0;
  private handoffAssets = 0;

  constructor(
    private readonly agency: GeneratedAgency,
    private readonly seed: string,
  ) {
    this.rng = new Rng(`stageline-drive:${seed}`);
    this.now = Date.parse(agency.dataset.now);
    for (const p of agency.dataset.projects) for (const t of p.tasks) for (const a of t.attachments) if (a.host === 'gdrive' && a.externalRef) this.taken.add(a.externalRef);
    for (const p of agency.dataset.projects) for (const t of p.tasks) if (typeof t.values[CF.assetKey] === 'string') this.keys.set(t.values[CF.assetKey] as string, t.gid);
    this.makePeople();
    const bot = this.person(agency.dataset.users[0] as UserRec);
    const started = Math.min(...agency.dataset.projects.map((p) => p.createdAt), this.now - 100 * DAY) - 300 * DAY;
    const driveId = `0A${this.chars(11, ID_ALPHABET.slice(0, 62))}Uk9PVA`;
    this.sharedRoot = this.add(createFileRec({ seq: 0, id: driveId, name: AGENCY.name, mimeType: MIME.folder, parent: null, createdTime: started, owner: bot, isRoot: true, driveId }));
    this.myRoot = this.add(
      createFileRec({ seq: 1, id: `0A${this.chars(11, ID_ALPHABET.slice(0, 62))}Uk9PVA`, name: 'My Drive', mimeType: MIME.folder, parent: null, createdTime: started, owner: bot, isRoot: true, driveId: null }),
    );
    this.folderTruth(this.sharedRoot, 'root', null);
    this.folderTruth(this.myRoot, 'root', null);
    this.handoffs = this.folder(FOLDERS.handoffs, this.myRoot, started + 30 * DAY, bot, 'handoffs', null);
    this.dataset = {
      seed,
      now: agency.dataset.now,
      sharedDrive: { id: driveId, name: AGENCY.name, createdTime: started, colorRgb: '#4986e7', themeId: 'abacus' },
      myDriveRoot: this.myRoot,
      files: this.files,
      people: [...this.people.values(), ...this.freelancers],
      bot,
      changes: [],
    };
  }

  run(): GeneratedDrive {
    const clientFolders = new Map<string, FileRec>();
    for (const project of this.agency.dataset.projects) {
      const code = project.name.split(' — ')[0] as string;
      let client = clientFolders.get(code);
      if (!client) {
        client = this.folder(`${project.client} (${code})`, this.sharedRoot, project.createdAt - this.rng.int(1, 20) * DAY, this.person(project.owner), 'client', null);
        clientFolders.set(code, client);
        if (this.rng.chance(0.4)) this.stray(client, project.createdAt - DAY, this.person(project.owner), project.client);
      }
      this.campaign(project, client);
    }
    // A few more loose hand-offs from freelancers.
    for (let i = 0, n = this.rng.int(2, 4); i < n; i++) {
      this.stray(this.handoffs, this.now - this.rng.int(2, 60) * DAY, this.rng.pick(this.freelancers), AGENCY.name);
    }
    this.purgeOldRevisions();
    for (const f of this.files) f.comments.sort((a, b) => a.createdTime - b.createdTime);
    return { dataset: { ...this.dataset, changes: this.changeLog() }, truth: this.truth() };
  }

  // ---- people -----------------------------------------------------------------------------------

  private makePeople(): void {
    for (const u of this.agency.dataset.users) this.asanaNames.set(u.name, u.email);
    for (const u of this.agency.dataset.users) {
      const [first = u.name, last = ''] = u.name.split(' ');
      const variant = u.role === 'integration' ? 'exact' : this.rng.weighted([['exact', 68], ['first', 12], ['initial', 12], ['handle', 8]] as const);
      const displayName =
        variant === 'exact' ? u.name : variant === 'first' ? first : variant === 'initial' ? `${first} ${last.slice(0, 1)}.` : (u.email.split('@')[0] as string);
      this.people.set(u.email, {
        email: u.email,
        displayName,
        emailVisible: true,
        permissionId: this.digits(20),
        asanaUserGid: u.gid,
        asanaName: u.name,
      });
    }
    for (const f of FREELANCERS) {
      this.freelancers.push({ email: f.email, displayName: f.displayName, emailVisible: f.emailVisible, permissionId: this.digits(20), asanaUserGid: null, asanaName: null });
    }
  }

  private person(u: UserRec): DrivePerson {
    const p = this.people.get(u.email);
    if (!p) throw new Error(`no Drive person for ${u.email}`);
    return p;
  }

  private personByEmail(email: string): DrivePerson {
    const p = this.people.get(email) ?? this.freelancers.find((f) => f.email === email);
    if (!p) throw new Error(`no Drive person for ${email}`);
    return p;
  }

  // ---- ids ----------------------------------------------------------------------------------------

  private chars(n: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.rng.next() * alphabet.length)];
    return s;
  }

  private digits(n: number): string {
    let s = String(this.rng.int(1, 9));
    for (let i = 1; i < n; i++) s += String(this.rng.int(0, 9));
    return s;
  }

  private fileId(): string {
    for (;;) {
      const id = `1${this.chars(32, ID_ALPHABET)}`;
      if (!this.taken.has(id)) {
        this.taken.add(id);
        return id;
      }
    }
  }

  // ---- records --------------------------------------------------------------------------------------

  private add(f: FileRec): FileRec {
    this.files.push(f);
    this.byId.set(f.id, f);
    return f;
  }

  private newFile(id: string, name: string, mimeType: string, parent: FileRec, time: number, owner: DrivePerson, meta: Partial<Meta>): FileRec {
    const f = this.add(createFileRec({ seq: this.files.length, id, name, mimeType, parent, createdTime: Math.min(time, this.now - MINUTE), owner }));
    this.meta.set(f, {
      category: meta.category ?? 'stray',
      assetKey: meta.assetKey ?? null,
      taskGid: meta.taskGid ?? null,
      explicit: meta.explicit ?? false,
      attachmentGids: meta.attachmentGids ?? [],
      versionNumbers: meta.versionNumbers ?? [],
      previousFolderPaths: [],
      revisionVersions: new Map(),
      purged: 0,
    });
    return f;
  }

  private folder(name: string, parent: FileRec, time: number, owner: DrivePerson, role: string, projectGid: string | null): FileRec {
    const f = this.add(createFileRec({ seq: this.files.length, id: this.fileId(), name, mimeType: MIME.folder, parent, createdTime: time, owner }));
    this.folderTruth(f, role, projectGid);
    return f;
  }

  private folderTruth(f: FileRec, role: string, projectGid: string | null): void {
    this.folders.set(f.id, { folderId: f.id, name: f.name, path: this.path(f), driveId: f.driveId, projectGid, role });
  }

  /** Folder names from the root down (a file's folderPath is its parent's path). */
  private path(f: FileRec): string {
    const names: string[] = [];
    for (let at: FileRec | undefined = f; at; at = at.parents[0] ? this.byId.get(at.parents[0]) : undefined) names.unshift(at.name);
    return names.join('/');
  }

  /** Adds a revision: binary content (size, md5; the md5 given for a copy of existing content) or a Google editor save. */
  private revise(f: FileRec, time: number, author: DrivePerson, opts: { size?: number; md5?: string; version?: number } = {}): RevisionRec {
    const t = Math.min(time, this.now - MINUTE);
    const binary = isBinaryMime(f.mimeType);
    const n = f.nextRevision++;
    const size = binary ? (opts.size ?? this.rng.int(200_000, 40_000_000)) : null;
    const rev: RevisionRec = {
      id: binary ? `0B${this.chars(44, ID_ALPHABET.slice(0, 62))}` : String(f.revisions.length === 0 ? 1 : Number((f.revisions.at(-1) as RevisionRec).id) + this.rng.int(1, 40)),
      modifiedTime: t,
      author,
      mimeType: f.mimeType,
      size,
      md5: binary ? (opts.md5 ?? md5Of(`${this.seed}:${f.id}:${n}`)) : null,
      originalFilename: binary ? f.name : null,
      keepForever: false,
    };
    f.revisions.push(rev);
    if (opts.version !== undefined) this.meta.get(f)?.revisionVersions.set(rev.id, opts.version);
    if (isGoogleEditorMime(f.mimeType)) f.editorSize = 1024 * this.rng.int(4, 90);
    this.touch(f, t, author);
    return rev;
  }

  private touch(f: FileRec, t: number, who: DrivePerson): void {
    f.version++;
    if (t >= f.modifiedTime) {
      f.modifiedTime = t;
      f.lastModifyingUser = who;
    }
    f.editedBy.set(who.email, Math.max(f.editedBy.get(who.email) ?? 0, t));
  }

  // ---- a campaign ---------------------------------------------------------------------------------

  private team(project: ProjectRec): Team {
    const of = (role: string): UserRec[] => project.members.filter((m) => m.role === role);
    const pick = (role: string): UserRec => of(role)[0] ?? project.owner;
    return {
      am: project.owner,
      cd: pick('creative_director'),
      producer: pick('producer'),
      copywriter: pick('copywriter'),
      designers: of('designer').length > 0 ? of('designer') : [project.owner],
      reviewers: of('client_reviewer'),
    };
  }

  private campaign(project: ProjectRec, client: FileRec): void {
    const rng = this.rng;
    const team = this.team(project);
    const am = this.person(team.am);
    const t0 = project.createdAt + rng.int(5, 120) * MINUTE;
    const folder = this.folder(project.name, client, t0, am, 'campaign', project.gid);
    const c: Campaign = {
      project,
      team,
      folder,
      briefs: this.folder(FOLDERS.briefs, folder, t0 + MINUTE, am, FOLDERS.briefs, project.gid),
      working: this.folder(FOLDERS.working, folder, t0 + MINUTE, am, FOLDERS.working, project.gid),
      final: this.folder(FOLDERS.final, folder, t0 + MINUTE, am, FOLDERS.final, project.gid),
    };
    this.documents(c);
    for (const task of project.tasks) {
      if (task.subtype !== 'default_task') continue;
      this.asset(c, task);
      // Exports, references and screenshots pile up beside the assets.
      if (rng.chance(0.03)) this.stray(c.working, rng.range(task.createdAt, this.now - HOUR), this.person(rng.pick(team.designers)), project.client);
    }
    for (let i = 0, n = rng.int(0, 2); i < n; i++) {
      this.stray(rng.chance(0.7) ? c.working : c.folder, rng.range(project.createdAt, this.now - HOUR), this.person(rng.pick(team.designers)), project.client);
    }
  }

  /** The brief (Doc), the asset tracker (Sheet) and sometimes the client deck (Slides). */
  private documents(c: Campaign): void {
    const rng = this.rng;
    const { project, team } = c;
    const start = c.folder.createdTime + HOUR;
    const brief = this.newFile(this.fileId(), `${project.name} — Creative brief`, MIME.document, c.briefs, start, this.person(team.am), { category: 'document' });
    brief.description = `Creative brief for ${project.name}.`;
    const writers = [team.am, team.copywriter, team.cd];
    let t = start;
    for (let i = 0, n = rng.int(3, 12); i < n; i++) {
      t += rng.range(20 * MINUTE, 3 * DAY);
      this.revise(brief, t, this.person(rng.pick(writers)));
    }
    if (rng.chance(0.6)) {
      for (let i = 0, n = rng.int(1, 2); i < n; i++) this.thread(brief, start + HOUR, Math.min(this.now, t + 10 * DAY), [...writers, team.producer], true);
    }
    const tracker = this.newFile(this.fileId(), `${project.name} — Asset tracker`, MIME.spreadsheet, c.folder, start + 2 * HOUR, this.person(team.producer), { category: 'document' });
    t = tracker.createdTime;
    for (let i = 0, n = rng.int(4, 20); i < n; i++) {
      t += rng.range(HOUR, 5 * DAY);
      if (t >= this.now) break;
      this.revise(tracker, t, this.person(rng.chance(0.7) ? team.producer : team.am));
    }
    if (tracker.revisions.length === 0) this.revise(tracker, tracker.createdTime, this.person(team.producer));
    if (rng.chance(0.5)) {
      const at = rng.range(Math.max(start + DAY, this.now - 30 * DAY), this.now - HOUR);
      const deck = this.newFile(this.fileId(), `${project.name} — Client presentation`, MIME.presentation, c.final, at, this.person(team.am), { category: 'document' });
      this.revise(deck, at, this.person(team.am));
      this.revise(deck, at + rng.range(HOUR, 2 * DAY), this.person(team.cd));
    }
  }

  private asset(c: Campaign, task: TaskRec): void {
    const rng = this.rng;
    const truth = this.agency.truth.tasks.get(task.gid);
    const key = task.values[CF.assetKey];
    if (!truth || typeof key !== 'string' || truth.versions.length === 0) return;
    const typeName = (task.values[CF.assetType] as { name?: string } | null)?.name;
    const type = ASSET_TYPES.find((a) => a.name === typeName) as AssetTypeDef;
    const versions = truth.versions;
    const atts = task.attachments;
    const hasGdrive = atts.some((a) => a.host === 'gdrive');
    const mode = rng.weighted([['none', 12], ['perVersion', 58], ['revisions', 30]] as const);
    // The first task that can have one gets a file with several revisions, so every dataset has one.
    const forceRevisions = this.revisionFiles === 0 && !hasGdrive && versions.length > 1;
    const effective = forceRevisions ? 'revisions' : mode === 'revisions' && hasGdrive ? 'perVersion' : mode;
    if (effective === 'revisions') this.revisionFiles++;
    // Saved to Drive a little before each upload to Asana, in order.
    const times: number[] = [];
    versions.forEach((v, i) => {
      const t = Date.parse(v.createdAt) - rng.range(2 * MINUTE, 90 * MINUTE);
      times.push(i === 0 ? t : Math.max(t, (times[i - 1] as number) + MINUTE));
    });
    const at = (i: number): number => times[i] as number;
    const uploader = (i: number): DrivePerson => this.personByEmail((versions[i] as { uploaderEmail: string }).uploaderEmail);
    // The designer exports a version once and puts the same bytes in both tools: the final save of a
    // version uploaded to Asana itself has the attachment's size. (The draw happens either way, so the
    // rest of the dataset does not depend on it.)
    const finalSize = (i: number): number => {
      const drawn = this.bytes(type);
      const a = atts[i] as { host: string; size: number };
      return a.host === 'asana' ? a.size : drawn;
    };
    const made: FileRec[] = [];

    // Every Drive-hosted attachment exists, under the id its view_url names.
    atts.forEach((a, i) => {
      if (a.host !== 'gdrive' || !a.externalRef) return;
      const number = (versions[i] as { number: number }).number;
      const f = this.newFile(a.externalRef, a.name, mimeForName(a.name, MIME_BY_EXT), c.working, at(i) - 4 * HOUR, uploader(i), {
        category: 'asset',
        assetKey: key,
        taskGid: task.gid,
        explicit: true,
        attachmentGids: [a.gid],
        versionNumbers: [number],
      });
      if (rng.chance(0.2)) this.revise(f, at(i) - rng.range(HOUR, 3 * HOUR), uploader(i), { size: Math.round(a.size * rng.range(0.8, 1)), version: number });
      this.revise(f, at(i), uploader(i), { size: a.size, version: number });
      made.push(f);
    });

    if (effective === 'perVersion') {
      versions.forEach((v, i) => {
        if ((atts[i] as { host: string }).host === 'gdrive') return;
        const inHandoffs = (this.handoffAssets === 0 && this.assetFiles > 3) || rng.chance(0.04);
        if (inHandoffs) this.handoffAssets++;
        const author = inHandoffs ? rng.pick(this.freelancers) : uploader(i);
        const name = this.assetName(key, v.number, type.ext);
        const f = this.newFile(this.fileId(), name, mimeForName(name, MIME_BY_EXT), inHandoffs ? this.handoffs : c.working, at(i) - 4 * HOUR, author, {
          category: 'asset',
          assetKey: key,
          taskGid: task.gid,
          versionNumbers: [v.number],
        });
        if (rng.chance(0.25)) this.revise(f, at(i) - rng.range(30 * MINUTE, 2 * HOUR), author, { size: this.bytes(type), version: v.number });
        this.revise(f, at(i), author, { size: finalSize(i), version: v.number });
        made.push(f);
      });
    } else if (effective === 'revisions') {
      const f = this.newFile(this.fileId(), this.assetName(key, (versions[0] as { number: number }).number, type.ext), mimeForName(`x.${type.ext}`, MIME_BY_EXT), c.working, at(0) - 4 * HOUR, uploader(0), {
        category: 'asset',
        assetKey: key,
        taskGid: task.gid,
        versionNumbers: versions.map((v) => v.number),
      });
      const misnamedFirst = carriesKey(f.name, key) === null;
      versions.forEach((v, i) => {
        // The file keeps its `_vNN` name in step with its newest revision (unless it was misnamed from the start).
        if (i > 0 && !misnamedFirst) f.name = `${key}_v${String(v.number).padStart(2, '0')}.${type.ext}`;
        this.revise(f, at(i), uploader(i), { size: finalSize(i), version: v.number });
      });
      made.push(f);
    }
    this.assetFiles += made.length;

    // Approved and delivered assets: a copy in Final/, or the working file moved there.
    const section = task.section?.name;
    if ((section === 'Approved' || section === 'Delivered') && made.length > 0) {
      const approvedAt = Date.parse([...truth.transitions].reverse().find((x) => x.to === 'Approved')?.at ?? truth.versions.at(-1)?.createdAt ?? '') || this.now - DAY;
      const latest = made.reduce((a, b) => (a.modifiedTime >= b.modifiedTime ? a : b));
      const r = rng.next();
      if ((this.moved === 0 && this.assetFiles > 5) || r < 0.15) {
        if (!latest.trashed && latest.parents[0] === c.working.id) {
          const m = this.meta.get(latest) as Meta;
          m.previousFolderPaths.push(this.path(c.working));
          latest.parents = [c.final.id];
          latest.version++;
          this.moved++;
        }
      } else if (r < 0.6) {
        const v = (versions.at(-1) as { number: number }).number;
        const name = `${key}_v${String(v).padStart(2, '0')}.${type.ext}`;
        const by = this.person(rng.chance(0.5) ? c.team.am : c.team.producer);
        const t = Math.min(this.now - MINUTE, approvedAt + rng.range(HOUR, 2 * DAY));
        const copy = this.newFile(this.fileId(), name, mimeForName(name, MIME_BY_EXT), c.final, t, by, { category: 'asset', assetKey: key, taskGid: task.gid, versionNumbers: [v] });
        // files.copy keeps the content: the size and md5 of the latest save of that version. When no Drive
        // file holds it (nothing else of the task's in Drive), the copy is the Asana upload, downloaded.
        const source = this.latestSave(made, v);
        const drawn = this.bytes(type);
        const upload = atts.find((a) => a.gid === versions.at(-1)?.attachmentGid);
        const size = source?.size ?? (upload?.host === 'asana' ? upload.size : drawn);
        this.revise(copy, t, by, { size, md5: source?.md5 ?? undefined, version: v });
        made.push(copy);
      }
    }

    // Superseded working copies get trashed, now and then deleted for good.
    const perVersion = made.filter((f) => (this.meta.get(f) as Meta).versionNumbers.length === 1 && f.parents[0] === c.working.id);
    const top = Math.max(...perVersion.map((f) => (this.meta.get(f) as Meta).versionNumbers[0] as number));
    for (const f of perVersion) {
      const m = this.meta.get(f) as Meta;
      if ((m.versionNumbers[0] as number) === top || f.trashed) continue;
      const when = Math.min(this.now - MINUTE, f.modifiedTime + rng.range(DAY, 10 * DAY));
      if (!m.explicit && ((this.deleted === 0 && this.assetFiles > 5) || rng.chance(0.015))) {
        f.deleted = true;
        f.deletedTime = when;
        this.deleted++;
      } else if ((this.trashed === 0 && this.assetFiles > 3) || rng.chance(m.explicit ? 0.02 : 0.06)) {
        this.trash(f, when, this.person(rng.pick(c.team.designers)));
      }
    }

    // Feedback threads on the newest file, sometimes on an older one.
    const live = made.filter((f) => !f.deleted);
    if (live.length > 0) {
      const newest = live.reduce((a, b) => (a.modifiedTime >= b.modifiedTime ? a : b));
      const people = [...c.team.designers, c.team.cd, c.team.am, c.team.copywriter, ...(section === 'Client Review' || section === 'Approved' || section === 'Delivered' ? c.team.reviewers : [])];
      if ((this.threads < 3 && this.assetFiles > 2) || rng.chance(0.4)) {
        for (let i = 0, n = rng.weighted([[1, 55], [2, 30], [3, 15]] as const); i < n; i++) this.thread(newest, newest.createdTime + 10 * MINUTE, this.now - MINUTE, people, false);
      }
      const older = live.find((f) => f !== newest);
      if (older && rng.chance(0.1)) this.thread(older, older.createdTime + 10 * MINUTE, Math.min(this.now - MINUTE, newest.createdTime), people, false);
    }
  }

  /** The latest revision among these files that holds the asset's version `v`. */
  private latestSave(files: FileRec[], v: number): RevisionRec | null {
    let best: RevisionRec | null = null;
    for (const f of files) {
      const m = this.meta.get(f) as Meta;
      for (const r of f.revisions) if (m.revisionVersions.get(r.id) === v && (!best || r.modifiedTime >= best.modifiedTime)) best = r;
    }
    return best;
  }

  private bytes(type: AssetTypeDef): number {
    return Math.round(this.rng.range(type.bytes[0], type.bytes[1]));
  }

  /** `KEY_vNN.ext`, except for a steady trickle of names that get the key wrong. */
  private assetName(key: string, version: number, ext: string): string {
    const nn = String(version).padStart(2, '0');
    this.misnamed++;
    if (this.misnamed % 19 === 7 || (this.misnamed > 60 && this.rng.chance(0.02))) {
      const kinds: MisnameKind[] = ['typo', 'case', 'size'];
      const kind = kinds[Math.floor(this.misnamed / 19) % 3] as MisnameKind;
      const bad = this.misname(key, kind);
      if (bad !== null) return `${bad}_v${nn}.${ext}`;
    }
    return `${key}_v${nn}.${ext}`;
  }

  private misname(key: string, kind: MisnameKind): string | null {
    const dash = key.indexOf('-');
    const base = key.slice(0, dash);
    if (kind === 'case') return `${key.slice(0, 1)}${key.slice(1).toLowerCase()}`;
    if (kind === 'size') return base;
    const parts = base.split('_');
    for (const pi of [2, 1]) {
      const part = parts[pi] ?? '';
      for (let j = 0; j + 1 < part.length; j++) {
        if (part[j] !== part[j + 1] && /[A-Z]/.test(part[j] as string) && /[A-Z]/.test(part[j + 1] as string)) {
          const swapped = `${part.slice(0, j)}${part[j + 1]}${part[j]}${part.slice(j + 2)}`;
          const next = [...parts];
          next[pi] = swapped;
          const candidate = `${next.join('_')}${key.slice(dash)}`;
          if (!this.keys.has(candidate)) return candidate;
        }
      }
    }
    return null;
  }

  private trash(f: FileRec, when: number, who: DrivePerson): void {
    f.trashed = true;
    f.explicitlyTrashed = true;
    f.trashedTime = when;
    f.trashingUser = who;
    f.version++;
    this.trashed++;
  }

  private stray(parent: FileRec, time: number, who: DrivePerson, company: string): void {
    const rng = this.rng;
    const tpl = rng.pick(STRAY_NAMES);
    const pad = (n: number, w: number): string => String(n).padStart(w, '0');
    const name = `${tpl.name
      .replace('{word}', rng.pick(STRAY_WORDS))
      .replace('{co}', company)
      .replace('{n4}', pad(rng.int(1000, 9999), 4))
      .replace('{n2}', pad(rng.int(1, 40), 2))
      .replace('{n6}', pad(rng.int(100000, 999999), 6))
      .replace('{mm}', pad(rng.int(8, 11), 2))
      .replace('{dd}', pad(rng.int(1, 28), 2))
      .replace('{hh}', pad(rng.int(9, 18), 2))
      .replace('{mi}', pad(rng.int(0, 59), 2))
      .replace('{ss}', pad(rng.int(0, 59), 2))}.${tpl.ext}`;
    const f = this.newFile(this.fileId(), name, mimeForName(name, MIME_BY_EXT), parent, time, who, { category: 'stray' });
    this.revise(f, time, who, { size: rng.int(20_000, 30_000_000) });
    if (this.deleted > 0 && rng.chance(0.05)) {
      f.deleted = true;
      f.deletedTime = Math.min(this.now - MINUTE, time + rng.range(HOUR, 20 * DAY));
    }
  }

  // ---- comments -----------------------------------------------------------------------------------

  private thread(f: FileRec, from: number, to: number, who: UserRec[], doc: boolean): void {
    const rng = this.rng;
    if (to - from < 30 * MINUTE) return;
    this.threads++;
    const people = who.map((u) => this.person(u));
    // Freelancers (no Asana account) chime in now and then: their names can never be matched.
    const author = this.threads === 4 || rng.chance(0.05) ? rng.pick(this.freelancers) : rng.pick(people);
    let t = Math.round(rng.range(from, from + (to - from) * 0.7));
    const comment: CommentRec = {
      id: `AAAA${this.chars(7, ID_ALPHABET.slice(0, 62))}`,
      createdTime: t,
      modifiedTime: t,
      author,
      content: rng.pick(doc ? DRIVE_COMMENTS.brief : DRIVE_COMMENTS.feedback),
      deleted: false,
      resolved: false,
      anchor: doc ? `kix.${this.chars(12, 'abcdefghijklmnopqrstuvwxyz0123456789')}` : null,
      quoted: doc ? rng.pick(BRIEF_QUOTES) : null,
      replies: [],
    };
    const others = people.filter((p) => p !== author);
    const reply = (content: string, by: DrivePerson, action: ReplyRec['action']): void => {
      t = Math.min(to, t + Math.round(rng.range(10 * MINUTE, 2 * DAY)));
      comment.replies.push({ id: `AAAA${this.chars(7, ID_ALPHABET.slice(0, 62))}`, createdTime: t, modifiedTime: t, author: by, content, deleted: false, action });
      comment.modifiedTime = Math.max(comment.modifiedTime, t);
    };
    const n = rng.weighted([[0, 30], [1, 35], [2, 22], [3, 13]] as const);
    for (let i = 0; i < n; i++) reply(rng.pick(DRIVE_COMMENTS.replies), others.length > 0 && i % 2 === 0 ? rng.pick(others) : author, null);
    if (rng.chance(n > 0 ? 0.55 : 0.2) || this.threads === 2 || this.threads === 3) {
      reply(rng.pick(DRIVE_COMMENTS.resolve), rng.chance(0.6) ? author : rng.pick(people), 'resolve');
      comment.resolved = true;
      if (rng.chance(0.12) || this.threads === 3) {
        reply(rng.pick(DRIVE_COMMENTS.reopen), author, 'reopen');
        comment.resolved = false;
        if (rng.chance(0.5)) {
          reply(rng.pick(DRIVE_COMMENTS.resolve), rng.pick(people), 'resolve');
          comment.resolved = true;
        }
      }
    }
    if (rng.chance(0.06) || this.threads === 1) {
      comment.deleted = true;
      comment.content = '';
      comment.modifiedTime = Math.min(to, t + Math.round(rng.range(MINUTE, DAY)));
    }
    for (const r of comment.replies) {
      if (!r.action && rng.chance(0.04)) {
        r.deleted = true;
        r.content = '';
      }
    }
    f.comments.push(comment);
    f.version += 1 + comment.replies.length;
  }

  // ---- finishing ----------------------------------------------------------------------------------

  /** Superseded binary revisions older than 30 days are gone unless pinned with keepForever. */
  private purgeOldRevisions(): void {
    for (const f of this.files) {
      if (!isBinaryMime(f.mimeType) || f.revisions.length < 2) continue;
      const kept: RevisionRec[] = [];
      f.revisions.forEach((r, i) => {
        const next = f.revisions[i + 1];
        if (next && this.rng.chance(0.25)) r.keepForever = true;
        if (next && !r.keepForever && this.now - next.modifiedTime > REVISION_PURGE_MS) {
          (this.meta.get(f) as Meta).purged++;
          return;
        }
        kept.push(r);
      });
      f.revisions = kept;
    }
  }

  /** One live change per file, in the order of each file's last change (Drive lists a file once). */
  private changeLog(): ChangeRec[] {
    const entries = this.files
      .filter((f) => !f.isRoot)
      .map((f) => {
        let t = Math.max(f.modifiedTime, f.createdTime, f.trashedTime ?? 0, f.deletedTime ?? 0);
        for (const c of f.comments) t = Math.max(t, c.modifiedTime);
        return { f, t };
      })
      .sort((a, b) => a.t - b.t || a.f.seq - b.f.seq);
    return entries.map(({ f, t }, i) => {
      f.changeIndex = i;
      return { id: i + 1, file: f, time: t, live: true };
    });
  }

  private truth(): DriveTruth {
    const files = new Map<string, DriveFileTruth>();
    for (const f of this.files) {
      const m = this.meta.get(f);
      if (!m) continue;
      files.set(f.id, {
        fileId: f.id,
        name: f.name,
        mimeType: f.mimeType,
        folderPath: this.path(this.byId.get(f.parents[0] as string) as FileRec),
        previousFolderPaths: m.previousFolderPaths,
        driveId: f.driveId,
        category: m.category,
        assetKey: m.assetKey,
        taskGid: m.taskGid,
        linkKind: linkKindFor(f.name, m.assetKey, m.explicit),
        attachmentGids: m.attachmentGids,
        versionNumbers: m.versionNumbers,
        revisions: f.revisions.map((r) => revisionTruth(f, r, m.revisionVersions.get(r.id) ?? null)),
        purgedRevisions: m.purged,
        comments: f.comments.map((c) => commentTruth(c, this.asanaNames)),
        trashed: f.trashed,
        deleted: f.deleted,
        unshared: false,
      });
    }
    // Paths can change after a folder was recorded (none are renamed during generation); recompute.
    for (const t of this.folders.values()) {
      const f = this.byId.get(t.folderId) as FileRec;
      t.path = this.path(f);
    }
    return {
      sharedDriveId: this.sharedRoot.id,
      myDriveRootId: this.myRoot.id,
      rootFolderIds: [this.sharedRoot.id, this.handoffs.id],
      files,
      folders: this.folders,
      people: [...this.people.values(), ...this.freelancers].map((p) => ({
        email: p.email,
        displayName: p.displayName,
        asanaUserGid: p.asanaUserGid,
        asanaName: p.asanaName,
        displayNameMatches: p.asanaName !== null && p.displayName === p.asanaName,
      })),
      assetKeys: this.keys,
    };
  }
}
