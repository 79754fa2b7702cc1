export function git(dir: string, args: string[], date?: string): string;
export function write(dir: string, path: string, text: string): void;
export function releaseNotes(version: string, title?: string): string;
export function buildSampleRepo(dir?: string): string;
