import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; productName: string };

export const PRODUCT_NAME = pkg.productName;
export const PRODUCT_VERSION = pkg.version;
