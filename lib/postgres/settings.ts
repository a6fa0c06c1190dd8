/**
 * relaycast-postgres's editor fields → a pg Pool configuration and the ledger's table names.
 * Empty fields take the documented defaults; anything unparsable is E_PG_CONFIG, never a silent
 * default. The password comes only from Node-RED credentials (or `${ENV_VAR}` there): a URL that
 * carries one is refused, so no password ends up in a flow file.
 */
import type { PoolConfig } from 'pg';
import { configNumber } from '../config/config-number';
import { RelaycastError } from '../errors';
import { expandEnv } from '../config/env';
import { checkSchemaName, checkTablePrefix, type TableNames } from './identifiers';
import { POSTGRES_NUMBERS } from './number-fields';

export interface PostgresConfigInput {
  /** postgres://user@host:port/database (no password); when set, host/port/database/user are not used. */
  url?: string;
  host?: string;
  port?: string | number;
  database?: string;
  user?: string;
  /** disable | require (encrypted, server not verified) | verify-full (encrypted, certificate and host name checked). */
  tls?: string;
  /** PEM CA certificate(s) for verify-full when the server's CA is not a public one. */
  ca?: string;
  schema?: string;
  prefix?: string;
  poolSize?: string | number;
}

export interface PostgresCredentials {
  password?: string;
}

export type TlsMode = 'disable' | 'require' | 'verify-full';

export interface PostgresSettings {
  pool: PoolConfig;
  tables: TableNames;
  tls: TlsMode;
  /** user@host:port/database, for logs and status (never the password). */
  label: string;
}

export const DEFAULT_SCHEMA = 'public';
export const DEFAULT_PREFIX = 'relaycast_';

const CONNECT_TIMEOUT_MS = 10_000;

function bad(message: string): never {
  throw new RelaycastError('E_PG_CONFIG', message);
}

const text = (v: string | undefined): string => (v ?? '').trim();

const number = (value: unknown, field: keyof typeof POSTGRES_NUMBERS): number => configNumber(value, { ...POSTGRES_NUMBERS[field], code: 'E_PG_CONFIG' });

interface Endpoint {
  host: string;
  port: number;
  database: string;
  user: string;
}

function fromUrl(raw: string): Endpoint {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    bad('URL must look like postgres://user@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') bad('URL must start with postgres:// or postgresql://');
  if (url.password) bad('the URL must not carry a password: put it in the Password field (it is kept in Node-RED credentials)');
  if (url.search) bad('the URL must not carry options (?…): use the TLS setting and the other fields');
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!url.hostname || !database) bad('URL must name a host and a database: postgres://user@host:5432/database');
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: number(url.port, 'port'),
    database,
    user: decodeURIComponent(url.username),
  };
}

export function resolvePostgresSettings(config: PostgresConfigInput, credentials: PostgresCredentials = {}): PostgresSettings {
  const url = text(config.url);
  const endpoint: Endpoint = url
    ? fromUrl(url)
    : {
        host: text(config.host) || '127.0.0.1',
        port: number(config.port, 'port'),
        database: text(config.database),
        user: text(config.user),
      };
  if (!endpoint.database) bad('database is required');
  if (!endpoint.user) bad('user is required');
  const tls = (text(config.tls) || 'disable') as TlsMode;
  if (!['disable', 'require', 'verify-full'].includes(tls)) bad('TLS must be disable, require or verify-full');
  const ca = text(config.ca);
  if (ca && !ca.includes('-----BEGIN CERTIFICATE-----')) bad('CA must be PEM text (-----BEGIN CERTIFICATE-----…)');
  const tables = {
    schema: checkSchemaName(text(config.schema) || DEFAULT_SCHEMA),
    prefix: checkTablePrefix(config.prefix === undefined ? DEFAULT_PREFIX : text(config.prefix)),
  };
  const password = expandEnv(credentials.password);
  const pool: PoolConfig = {
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    user: endpoint.user,
    ...(password ? { password } : {}),
    ssl: tls === 'disable' ? false : tls === 'require' ? { rejectUnauthorized: false } : { rejectUnauthorized: true, ...(ca ? { ca } : {}) },
    max: number(config.poolSize, 'poolSize'),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'relaycast',
  };
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return { pool, tables, tls, label: `${endpoint.user}@${host}:${endpoint.port}/${endpoint.database}` };
}
