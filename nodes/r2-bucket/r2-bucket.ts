/**
 * relaycast-r2-bucket: the configuration node for one R2 (or S3-compatible) bucket. It owns ONE
 * S3 client shared by every node that uses it, created on the first register() and destroyed when
 * the last user deregisters (the pattern of core's MQTT broker node). Credentials live only in
 * Node-RED's credential store; every text this node or its users report passes through redact().
 *
 * Also serves the editor's "test connection" button: POST <httpAdminRoot>/relaycast-r2-bucket/test,
 * guarded by the relaycast-r2-bucket.write permission.
 */
import type { NodeAPI, NodeDef, Node } from 'node-red';
import type { Request, Response } from 'express';
import type { S3Client } from '@aws-sdk/client-s3';
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import { envReference, expandEnv } from '../../lib/config/env';
import { createS3Client, makeRedactor, probeBucket, resolveBucketSettings, S3ObjectStore, type BucketConfigInput, type BucketSettings } from '../../lib/upload';
import type { R2BucketConfigNode } from './bucket-api';
import { registerNodeType } from '../shared/node-types';

interface R2BucketDef extends NodeDef, BucketConfigInput {}

interface R2Credentials {
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** What the editor sends for an unchanged password field. */
const PASSWORD_PLACEHOLDER = '__PWRD__';

export = function (RED: NodeAPI) {
  function R2BucketNode(this: R2BucketConfigNode & Node<R2Credentials>, config: R2BucketDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const credentials = node.credentials ?? {};
    const users = new Set<Node>();
    let client: S3Client | undefined;
    let store: S3ObjectStore | undefined;

    node.redact = makeRedactor([credentials.accessKeyId, credentials.secretAccessKey]);
    try {
      node.settings = resolveBucketSettings(config);
    } catch (err) {
      node.settingsError = toRelaycastError(err, 'E_R2_CONFIG');
    }

    const releaseClient = (): void => {
      client?.destroy();
      client = undefined;
      store = undefined;
    };

    node.register = (user: Node) => {
      if (!node.settings) throw node.settingsError ?? new RelaycastError('E_R2_CONFIG', 'invalid bucket configuration');
      if (!credentials.accessKeyId || !credentials.secretAccessKey) {
        throw new RelaycastError('E_R2_CREDENTIALS', RED._('r2-bucket.errors.missing-credentials'));
      }
      // Still `${NAME}` after Node-RED's expansion: NAME is not set. Signing with the literal text
      // would only fail later, as a refused signature that names nothing.
      for (const [field, value] of [
        ['access key ID', credentials.accessKeyId],
        ['secret key', credentials.secretAccessKey],
      ] as const) {
        const variable = envReference(value);
        if (variable !== undefined) {
          throw new RelaycastError(
            'E_R2_CREDENTIALS',
            `the bucket's ${field} is \${${variable}}, but the environment variable ${variable} is not set where Node-RED runs`,
          );
        }
      }
      users.add(user);
      if (!store) {
        client = createS3Client({ ...node.settings, accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey });
        store = new S3ObjectStore(client, node.settings.bucket);
      }
      return store;
    };

    node.deregister = (user: Node) => {
      users.delete(user);
      if (users.size === 0) releaseClient();
    };

    Object.defineProperty(node, 'userCount', { get: () => users.size });
    Object.defineProperty(node, 'hasClient', { get: () => client !== undefined });

    node.on('close', function (done: () => void) {
      // Users deregister in their own close handlers; this covers a config node closed on its own.
      users.clear();
      releaseClient();
      done();
    });
  }

  registerNodeType(RED, 'relaycast-r2-bucket', R2BucketNode, {
    credentials: {
      accessKeyId: { type: 'text' },
      secretAccessKey: { type: 'password' },
    },
  });

  async function testConnection(req: Request, res: Response): Promise<void> {
    const body = (req.body ?? {}) as BucketConfigInput & { id?: string; credentials?: R2Credentials };
    const deployed = (typeof body.id === 'string' ? RED.nodes.getCredentials(body.id) : undefined) as R2Credentials | undefined;
    // A request is untrusted input: a credential that is not text is refused, never passed on.
    const pick = (typed: unknown, fallback: string | undefined): string | undefined => {
      if (typed !== undefined && typeof typed !== 'string') throw new RelaycastError('E_R2_CREDENTIALS', 'credentials must be text');
      return typed === undefined || typed === '' || typed === PASSWORD_PLACEHOLDER ? fallback : expandEnv(typed);
    };
    const accessKeyId = pick(body.credentials?.accessKeyId, expandEnv(deployed?.accessKeyId));
    const secretAccessKey = pick(body.credentials?.secretAccessKey, expandEnv(deployed?.secretAccessKey));
    const redact = makeRedactor([accessKeyId, secretAccessKey, deployed?.accessKeyId, deployed?.secretAccessKey]);
    let settings: BucketSettings;
    try {
      settings = resolveBucketSettings(body);
      if (!accessKeyId || !secretAccessKey) throw new RelaycastError('E_R2_CREDENTIALS', 'access key id and secret access key are required');
    } catch (err) {
      const error = toRelaycastError(err, 'E_R2_CONFIG');
      res.status(400).json({ ok: false, error: { code: error.code, message: redact(error.message) } });
      return;
    }
    const client = createS3Client({ ...settings, accessKeyId, secretAccessKey, maxSockets: 2 });
    try {
      const report = await probeBucket({
        store: new S3ObjectStore(client, settings.bucket),
        publicBaseUrl: settings.publicBaseUrl,
        keyPrefix: settings.keyPrefix,
      });
      res.json({
        ok: report.ok,
        url: redact(report.url),
        steps: report.steps.map((step) => ({ ...step, detail: step.detail === undefined ? undefined : redact(step.detail) })),
      });
    } catch (err) {
      res.status(500).json({ ok: false, error: { code: 'E_R2_PROBE', message: redact(err instanceof Error ? err.message : String(err)) } });
    } finally {
      client.destroy();
    }
  }

  RED.httpAdmin.post('/relaycast-r2-bucket/test', RED.auth.needsPermission('relaycast-r2-bucket.write'), (req: Request, res: Response) => {
    // Express 4 does not catch a rejected handler: answer it here so it never goes unhandled.
    testConnection(req, res).catch((err: unknown) => {
      const error = toRelaycastError(err, 'E_R2_PROBE');
      RED.log.error(`relaycast-r2-bucket test connection: ${error.message}`);
      if (res.headersSent) return;
      // Only our own refusal is echoed; anything else may quote input, so it stays in the log.
      const refused = error.code === 'E_R2_CREDENTIALS';
      res
        .status(refused ? 400 : 500)
        .json({ ok: false, error: { code: error.code, message: refused ? error.message : 'the connection test failed: see the Node-RED log' } });
    });
  });
};
