// Word lists the generator draws from. All names, companies and domains are invented; domains use
// the reserved `.example` top-level domain so that no generated address can reach anyone.

export const AGENCY = { name: 'Lumen & Lark Creative', domain: 'lumenlark.example' };

export const FIRST_NAMES = [
  'Maya', 'Theo', 'Priya', 'Jonas', 'Lena', 'Marcus', 'Aiko', 'Rafael', 'Nora', 'Samir',
  'Clara', 'Diego', 'Hana', 'Felix', 'Amara', 'Oskar', 'Leila', 'Tomas', 'Ines', 'Kwame',
  'Sofia', 'Elias', 'Mei', 'Lucas', 'Zara', 'Anton', 'Yara', 'Hugo', 'Noor', 'Mateo',
  'Freya', 'Idris', 'Lucia', 'Emil', 'Keiko', 'Julien', 'Asha', 'Nils', 'Vera', 'Omar',
  'Greta', 'Ravi', 'Elena', 'Bruno', 'Saskia', 'Tariq', 'Ingrid', 'Pablo', 'Mina', 'Cyril',
];

export const LAST_NAMES = [
  'Chen', 'Okafor', 'Lindqvist', 'Moreau', 'Patel', 'Nakamura', 'Silva', 'Novak', 'Haddad', 'Berg',
  'Alvarez', 'Kowalski', 'Osei', 'Fischer', 'Rossi', 'Tanaka', 'Dubois', 'Mensah', 'Larsen', 'Costa',
  'Ibrahim', 'Schmidt', 'Yilmaz', 'Murphy', 'Kaur', 'Petrov', 'Santos', 'Weber', 'Adeyemi', 'Varga',
  'Holm', 'Reyes', 'Sato', 'Brennan', 'Farouk', 'Jansen', 'Lopez', 'Nguyen', 'Quinn', 'Abbott',
];

export interface ClientDef {
  /** Upper-case code used in asset keys and project names. */
  code: string;
  company: string;
  domain: string;
}

export const CLIENTS: ClientDef[] = [
  { code: 'ACME', company: 'Acme Outdoor', domain: 'acme-outdoor.example' },
  { code: 'NORTHWIND', company: 'Northwind Coffee', domain: 'northwind-coffee.example' },
  { code: 'GLOBEX', company: 'Globex Mobile', domain: 'globex-mobile.example' },
  { code: 'HALCYON', company: 'Halcyon Skincare', domain: 'halcyon-skin.example' },
  { code: 'VANTA', company: 'Vanta Motors', domain: 'vanta-motors.example' },
  { code: 'BRIGHTWAY', company: 'Brightway Bank', domain: 'brightway-bank.example' },
  { code: 'PIXELPEAK', company: 'Pixelpeak Games', domain: 'pixelpeak.example' },
  { code: 'OAKLEAF', company: 'Oakleaf Grocers', domain: 'oakleaf-grocers.example' },
  { code: 'SOLSTICE', company: 'Solstice Travel', domain: 'solstice-travel.example' },
  { code: 'KINETIC', company: 'Kinetic Sportswear', domain: 'kinetic-sport.example' },
  { code: 'MERIDIAN', company: 'Meridian Telecom', domain: 'meridian-tel.example' },
  { code: 'LUMA', company: 'Luma Home', domain: 'luma-home.example' },
];

export interface CampaignDef {
  title: string;
  code: string;
}

export const CAMPAIGNS: CampaignDef[] = [
  { title: 'Holiday 2026', code: 'HOLIDAY' },
  { title: 'Black Friday 2026', code: 'BFCM' },
  { title: 'Winter Launch 2027', code: 'WINTER' },
  { title: 'New Year 2027', code: 'NEWYEAR' },
  { title: 'Brand Refresh 2026', code: 'REFRESH' },
  { title: 'Back to School 2026', code: 'BTS' },
  { title: 'Autumn Always-on 2026', code: 'AUTUMN' },
  { title: 'Loyalty Relaunch 2026', code: 'LOYALTY' },
  { title: 'Product Drop — Aurora', code: 'AURORA' },
  { title: 'Spring Preview 2027', code: 'SPRING' },
];

export interface AssetTypeDef {
  name: string;
  code: string;
  ext: string;
  sizes: string[];
  channels: string[];
  /** File size range in bytes. */
  bytes: [number, number];
}

export const ASSET_TYPES: AssetTypeDef[] = [
  { name: 'Display banner', code: 'BANNER', ext: 'psd', sizes: ['300x250', '728x90', '160x600', '300x600', '320x50', '970x250'], channels: ['Display', 'Programmatic'], bytes: [4e6, 60e6] },
  { name: 'Social video', code: 'SOCIALVID', ext: 'mp4', sizes: ['1080x1920', '1080x1080', '1920x1080'], channels: ['Social', 'CTV'], bytes: [20e6, 250e6] },
  { name: 'Print ad', code: 'PRINT', ext: 'pdf', sizes: ['A4', 'A3', 'DPS'], channels: ['Print'], bytes: [2e6, 40e6] },
  { name: 'OOH poster', code: 'OOH', ext: 'psd', sizes: ['48-sheet', '6-sheet', '1200x1800'], channels: ['OOH'], bytes: [30e6, 300e6] },
  { name: 'Email', code: 'EMAIL', ext: 'html', sizes: ['600x1200', '600x2000'], channels: ['Email', 'CRM'], bytes: [30e3, 400e3] },
  { name: 'Key visual', code: 'KV', ext: 'psd', sizes: ['3840x2160', '2400x3000'], channels: ['Social', 'Display', 'OOH', 'Print'], bytes: [50e6, 400e6] },
];

export const CHANNELS = ['Social', 'Display', 'Programmatic', 'Print', 'OOH', 'Email', 'CRM', 'CTV'];

export const ENUM_COLORS = ['none', 'red', 'orange', 'yellow-orange', 'yellow', 'yellow-green', 'green', 'blue-green', 'aqua', 'blue', 'indigo', 'purple', 'magenta', 'hot-pink', 'pink', 'cool-gray'];

export const PROJECT_COLORS = ['dark-pink', 'dark-green', 'dark-blue', 'dark-red', 'dark-teal', 'dark-brown', 'dark-orange', 'dark-purple', 'light-pink', 'light-green', 'light-blue', 'light-teal'];

export const KEY_MESSAGES = [
  'Make the season feel effortless',
  'Quality you can feel, prices you will love',
  'Built for the way you move',
  'A small luxury, every single day',
  'Switch in minutes, save for years',
  'Limited drop: once it is gone, it is gone',
];

export const COMMENTS = {
  production: [
    'First layout is in progress, sharing a WIP tomorrow.',
    'Copy v1 is in the doc, please check the headline length.',
    'Can we get the hi-res product shots from the client?',
    'Swapped the hero image, the old one had licensing limits.',
    'Font licence confirmed for web use.',
    'Legal line added at the bottom, 8pt minimum.',
    'Exporting now, should be up within the hour.',
    'Resized from the master, please double-check safe areas.',
    'Brand colours updated to the 2026 palette.',
    'Waiting on final pricing before I lock the end frame.',
  ],
  internalApproved: [
    'Looks great, ship it to the client.',
    'Approved. Nice work on the type hierarchy.',
    'Good to go from my side.',
    'Strong. Send it over.',
  ],
  internalChanges: [
    'Logo is too small for the lockup rules, please scale up.',
    'Headline feels crowded, give it more air.',
    'CTA contrast fails accessibility, please fix.',
    'Product is cropped awkwardly on the right edge.',
    'Too much copy for this size, cut to one line.',
  ],
  clientApproved: [
    'Approved, thank you team!',
    'Happy with this one, please proceed.',
    'Signed off by our brand team.',
  ],
  clientChanges: [
    'Can we try the warmer background option?',
    'Our legal team needs the disclaimer larger.',
    'Please use the updated price point.',
    'The product name must always be in caps.',
    'Could the logo sit top-left instead?',
  ],
  clientRejected: [
    'This direction does not work for us, please rethink.',
    'We are dropping this format from the plan.',
  ],
  general: [
    'Any update on timing here?',
    'Moving this up the list, client asked for it first.',
    'Thanks all!',
    'Flagging that the go-live date may move.',
    'Adding the media specs to the description.',
  ],
};

export const DRIVE_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
