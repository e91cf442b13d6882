import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMAND_TICKET, SHORTCUT_CREATE_TICKET } from '../../src/slack/blocks/ids.js';
import { CALLBACK_PATH, SIGN_IN_SCOPES } from '../../src/web/slackSignIn.js';
import type { SlackJson } from '../support/slackApp.js';

// manifest.yml (HTTP) and manifest.socket.yml (Socket Mode) against Slack's published JSON Schema,
// and against the code: the command, shortcut and scopes ticketbot really uses.

const schemaDir = new URL('../fixtures/slack/manifest-schema/', import.meta.url);
const readJson = (name: string) =>
  JSON.parse(readFileSync(new URL(name, schemaDir), 'utf8')) as Record<string, unknown>;
const REMOTE = 'https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/';

function validator() {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(readJson('manifest.schema.1.0.0.json'), `${REMOTE}manifest.schema.1.0.0.json`);
  ajv.addSchema(readJson('manifest.schema.2.0.0.json'), `${REMOTE}manifest.schema.2.0.0.json`);
  return ajv.compile(readJson('manifest.schema.json'));
}

const load = (file: string) =>
  parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')) as SlackJson;

const SCOPES = [
  'commands',
  'chat:write',
  'im:write',
  'users:read',
  'users:read.email',
  'channels:history',
  'groups:history',
  'channels:read',
  'groups:read',
  'reactions:read',
  'im:history',
];

describe('Slack app manifests', () => {
  const validate = validator();

  for (const file of ['manifest.yml', 'manifest.socket.yml']) {
    it(`${file} is valid against Slack's manifest schema`, () => {
      const manifest = load(file);
      const valid = validate(manifest);
      expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
      expect(valid).toBe(true);
    });

    it(`${file} declares what the code listens to, with exactly the scopes it uses`, () => {
      const manifest = load(file);
      expect(manifest.features.slash_commands.map((c: { command: string }) => c.command)).toEqual([
        COMMAND_TICKET,
      ]);
      expect(manifest.features.shortcuts).toEqual([
        expect.objectContaining({ type: 'message', callback_id: SHORTCUT_CREATE_TICKET }),
      ]);
      expect(manifest.features.app_home.home_tab_enabled).toBe(true);
      expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...SCOPES].sort());
      expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual([
        'app_home_opened',
        'message.channels',
        'message.groups',
        'reaction_added',
      ]);
      expect(manifest.settings.interactivity.is_enabled).toBe(true);
    });

    it(`${file} lets people sign in with Slack: the callback URL and exactly the scopes asked for`, () => {
      const manifest = load(file);
      expect(manifest.oauth_config.redirect_urls).toEqual([`https://helpdesk.example.com${CALLBACK_PATH}`]);
      expect([...manifest.oauth_config.scopes.user].sort()).toEqual(SIGN_IN_SCOPES.split(' ').sort());
      // A confidential client: PKCE in Slack would make the app public, for good (see slackSignIn.ts).
      expect(manifest.oauth_config.pkce_enabled).toBeUndefined();
    });
  }

  it('HTTP mode points every request URL at /slack/events; Socket Mode has none', () => {
    const http = load('manifest.yml');
    const urls = [
      http.features.slash_commands[0].url,
      http.settings.event_subscriptions.request_url,
      http.settings.interactivity.request_url,
    ];
    for (const url of urls) expect(url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
    expect(http.settings.socket_mode_enabled).toBe(false);
    const socket = load('manifest.socket.yml');
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(socket)).not.toContain('request_url');
    expect(socket.features.slash_commands[0].url).toBeUndefined();
  });

  it('the schema does catch a broken manifest (the check is not vacuous)', () => {
    const manifest = load('manifest.yml');
    manifest.features.shortcuts[0].name = 'A shortcut name that is far too long for Slack';
    expect(validate(manifest)).toBe(false);
  });
});
