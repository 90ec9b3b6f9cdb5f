export const BUNDLE_DIR: string;
export const BUNDLE_FILE: string;
export const STAMP_FILE: string;
export const EXTRA_INPUTS: string[];
export function hashInputs(root: string, inputs: string[]): string;
export function freshBundle(root: string): { path: string | null; why: string };
