// Word lists for the Drive side of the agency. Names and domains are invented; domains use the
// reserved `.example` top-level domain.

export const FOLDERS = { working: 'Working', final: 'Final', briefs: 'Briefs', handoffs: 'Freelance hand-offs' } as const;

/** People who work in Drive but have no Asana account: their comments can never be matched. */
export const FREELANCERS: readonly { displayName: string; email: string; emailVisible: boolean }[] = [
  { displayName: 'Kai Retouch Studio', email: 'kai@retouch-studio.example', emailVisible: false },
  { displayName: 'Bea Motion', email: 'bea.motion@freelance-mail.example', emailVisible: true },
  { displayName: 'Rowan Illustrates', email: 'rowan@illustrates.example', emailVisible: false },
];

/** Files nobody claims: their names carry no asset key. `{co}` = client company, `{n}` = a number. */
export const STRAY_NAMES: readonly { name: string; ext: string }[] = [
  { name: 'moodboard_{word}', ext: 'jpg' },
  { name: 'IMG_{n4}', ext: 'jpg' },
  { name: 'Copy of {co} logo pack', ext: 'zip' },
  { name: 'Screenshot 2026-{mm}-{dd} at {hh}.{mi}.{ss}', ext: 'png' },
  { name: '{co} brand guidelines 2026', ext: 'pdf' },
  { name: 'reference_clip_{n2}', ext: 'mov' },
  { name: 'stock_{n6}', ext: 'jpg' },
  { name: 'font licence receipt', ext: 'pdf' },
  { name: 'old hero shot (do not use)', ext: 'psd' },
  { name: 'untitled export', ext: 'png' },
];

export const STRAY_WORDS = ['warm', 'coastal', 'night', 'neon', 'paper', 'grain', 'pastel', 'bold', 'retro', 'calm'];

export const DRIVE_COMMENTS = {
  feedback: [
    'Kerning on the headline looks off here.',
    'Can we nudge the logo 10px to the left?',
    'The CTA button colour does not match the palette.',
    'Product shot looks soft, is this the hi-res file?',
    'Legal line is cut off on export.',
    'Please check the safe area for the story format.',
    'Love this direction.',
    'Copy here still says last year’s price.',
    'Can we try a version with the darker background?',
    'Is this the final layered file or a flattened export?',
  ],
  replies: [
    'On it.',
    'Good catch, fixing now.',
    'Updated in the latest revision.',
    'Agreed, will change.',
    'Checked with the client, they prefer it as is.',
    'Swapped for the hi-res asset.',
  ],
  resolve: ['Fixed, resolving.', 'Done.', 'Resolved in the new upload.', ''],
  reopen: ['Reopening: still seeing this in the latest export.', 'Not quite there yet, see the left edge.'],
  brief: [
    'Can we tighten the key message?',
    'Client confirmed this deliverable list.',
    'Budget line needs the agency fee split out.',
    'Please add the go-live dates per channel.',
  ],
};

export const BRIEF_QUOTES = ['Key message', 'Deliverables', 'Channels and formats', 'Timeline', 'Mandatories', 'Tone of voice'];
