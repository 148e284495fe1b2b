// What a creative agency's monday account looks like: status labels with monday's palette, group
// names, job titles, and the replies people write under feedback. Invented, like the agency.

import { type AgencyRole, type SectionName } from '../../asana/simulator/model';
import { type StatusLabel } from './model';

interface Colour {
  color: string;
  border: string;
  varName: string;
}

/** A few colours of monday's status palette (hex, border, var_name as settings_str carries them). */
export const PALETTE = {
  orange: { color: '#fdab3d', border: '#e99729', varName: 'orange' },
  green: { color: '#00c875', border: '#00b461', varName: 'green-shadow' },
  red: { color: '#df2f4a', border: '#ce3048', varName: 'red-shadow' },
  blue: { color: '#579bfc', border: '#4387e8', varName: 'bright-blue' },
  purple: { color: '#9d50dd', border: '#9238af', varName: 'purple' },
  darkBlue: { color: '#007eb5', border: '#3db0df', varName: 'dark-blue' },
  grass: { color: '#037f4c', border: '#116846', varName: 'grass-green' },
  grey: { color: '#757575', border: '#6b6b6b', varName: 'american-gray' },
  darkRed: { color: '#bb3354', border: '#a42d4a', varName: 'dark-red' },
  yellow: { color: '#ffcb00', border: '#c29e11', varName: 'egg_yolk' },
  empty: { color: '#c4c4c4', border: '#b0b0b0', varName: 'grey' },
} as const satisfies Record<string, Colour>;

/** The StatusColumnColors of the 2026-10 schema (create_status_column), as monday's palette draws them. */
export const STATUS_COLUMN_COLOURS: Readonly<Record<string, string>> = {
  working_orange: '#fdab3d', done_green: '#00c875', stuck_red: '#df2f4a', dark_blue: '#007eb5', purple: '#9d50dd',
  explosive: '#c4c4c4', grass_green: '#037f4c', bright_blue: '#579bfc', saladish: '#cab641', egg_yolk: '#ffcb00',
  blackish: '#333333', dark_red: '#bb3354', sofia_pink: '#ff158a', lipstick: '#ff5ac4', dark_purple: '#784bd1',
  bright_green: '#9cd326', chili_blue: '#66ccff', american_gray: '#757575', brown: '#7f5347', dark_orange: '#ff642e',
  sunset: '#ff7575', bubble: '#faa1f1', peach: '#ffadad', berry: '#7e3b8a', winter: '#9aadbd', river: '#68a1bd',
  navy: '#225091', aquamarine: '#4eccc6', indigo: '#5559df', dark_indigo: '#401694', pecan: '#563e3e',
  lavender: '#bda8f9', royal: '#2b76e5', steel: '#a9bee8', orchid: '#d974b0', lilac: '#9d99b9', tan: '#bca58a',
  sky: '#a1e3f6', coffee: '#cd9282', teal: '#175a63',
};

/** A border a shade darker than the colour, as the palette's borders are. */
export function borderOf(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  const dim = (c: number): number => Math.round(c * 0.9);
  return `#${[(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => dim(c).toString(16).padStart(2, '0')).join('')}`;
}

/** Index 5 is monday's empty label: never used for a named label. */
export const EMPTY_STATUS_INDEX = 5;

const label = (index: number, text: string, c: Colour, isDone = false): StatusLabel => ({
  index,
  label: text,
  color: c.color,
  border: c.border,
  varName: c.varName,
  isDone,
});

/**
 * The Stage column of status boards: the Asana section names, on the indexes a team gets after
 * renaming monday's defaults (0 Working on it → In Production, 1 Done → Delivered, 2 Stuck → On Hold)
 * and adding the rest.
 */
export const STAGE_LABELS: readonly StatusLabel[] = [
  label(0, 'In Production', PALETTE.orange),
  label(1, 'Delivered', PALETTE.green, true),
  label(2, 'On Hold', PALETTE.red),
  label(3, 'Briefing', PALETTE.blue),
  label(4, 'Internal Review', PALETTE.purple),
  label(6, 'Client Review', PALETTE.darkBlue),
  label(7, 'Approved', PALETTE.grass),
  label(8, 'Cancelled', PALETTE.grey),
];

/** A status column group boards have instead of a stage column: a distractor for stage mapping. */
export const PRIORITY_LABELS: readonly StatusLabel[] = [
  label(0, 'Medium', PALETTE.yellow),
  label(1, 'Low', PALETTE.blue),
  label(2, 'High', PALETTE.orange),
  label(3, 'Critical', PALETTE.darkRed),
];

/** The subitems' Decision column: one approval round per subitem. */
export const DECISION_LABELS: readonly StatusLabel[] = [
  label(0, 'Pending', PALETTE.orange),
  label(1, 'Approved', PALETTE.green, true),
  label(2, 'Changes requested', PALETTE.red),
  label(3, 'Rejected', PALETTE.darkRed),
];

export const DECISION_LABEL_OF = {
  pending: 'Pending',
  approved: 'Approved',
  changes_requested: 'Changes requested',
  rejected: 'Rejected',
} as const;

/** Group colours of group boards, one per stage. */
export const STAGE_GROUP_COLOURS: Readonly<Record<SectionName, string>> = {
  Briefing: '#579bfc',
  'In Production': '#fdab3d',
  'Internal Review': '#9d50dd',
  'Client Review': '#007eb5',
  Approved: '#037f4c',
  Delivered: '#00c875',
  'On Hold': '#df2f4a',
  Cancelled: '#757575',
};

/** Status boards group their items by channel family (asset type code → group title). */
export const CHANNEL_GROUPS: readonly { title: string; color: string; codes: readonly string[] }[] = [
  { title: 'Milestones', color: '#784bd1', codes: [] },
  { title: 'Display & programmatic', color: '#579bfc', codes: ['BANNER'] },
  { title: 'Social & video', color: '#ff158a', codes: ['SOCIALVID'] },
  { title: 'Print & OOH', color: '#fdab3d', codes: ['PRINT', 'OOH'] },
  { title: 'Email & CRM', color: '#00c875', codes: ['EMAIL'] },
  { title: 'Key visuals', color: '#9d50dd', codes: ['KV'] },
];

export const WORKSPACES = [
  { name: 'Studio production', description: 'Campaign boards the studio runs day to day.' },
  { name: 'Client services', description: 'Campaign boards run by the account teams.' },
];

export const TITLES: Readonly<Record<AgencyRole, readonly string[]>> = {
  creative_director: ['Creative Director', 'Associate Creative Director'],
  designer: ['Designer', 'Senior Designer', 'Motion Designer'],
  copywriter: ['Copywriter', 'Senior Copywriter'],
  account_manager: ['Account Manager', 'Account Director'],
  producer: ['Producer', 'Senior Producer'],
  client_reviewer: ['Brand Manager', 'Marketing Lead', 'Head of Brand'],
  integration: ['Integration'],
};

export const REPLIES = {
  toChanges: [
    'On it, a new version is coming later today.',
    'Understood, revising now.',
    'Good catch, fixing and re-uploading.',
    'Will do. Shall I keep the alternative layout too?',
  ],
  toApproval: ['Great, sending it over to the client.', 'Thanks! Moving it on to delivery.', 'Brilliant, thank you.'],
  toComment: ['Thanks, noted.', 'Will check and come back to you.', 'Done.', 'Agreed.'],
};
