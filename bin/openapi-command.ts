import { Option, type Command } from 'commander';
import { readApiDocument } from '../read-api/contract/openapi';
import { writeApiDocument } from '../write-api/contract/openapi';

const DOCUMENTS = { write: writeApiDocument, read: readApiDocument } as const;

/** `couponkill openapi --api write|read`: prints the API's OpenAPI 3.1 document, as the API serves it at /openapi.json. */
export function registerOpenApiCommand(program: Command): void {
  program
    .command('openapi')
    .description('print the OpenAPI 3.1 document of the write or read API (what it serves at /openapi.json)')
    .addOption(new Option('--api <api>', 'which API').choices(Object.keys(DOCUMENTS)).makeOptionMandatory())
    .action((options: { api: keyof typeof DOCUMENTS }) => {
      process.stdout.write(`${JSON.stringify(DOCUMENTS[options.api](), null, 2)}\n`);
    });
}
