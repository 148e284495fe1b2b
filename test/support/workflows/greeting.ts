// A pure helper imported by the workflow without a file extension, as our tsconfig
// (moduleResolution Bundler) writes imports; the worker's bundler must resolve it.
export function greeting(name: string): string {
  return `Hello, ${name}`;
}
