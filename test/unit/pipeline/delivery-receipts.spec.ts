import assert from 'node:assert/strict';
import { DeliveryReceipts, type ResendRequest } from '../../../lib/pipeline/delivery-receipts';
import { until } from '../../support/until';

describe('delivery receipts: resends after a partial deploy', () => {
  it('tells the deliverers of the stream that a stage restarted, on a later turn, never inside the call', async () => {
    const receipts = new DeliveryReceipts();
    const told: string[] = [];
    receipts.onResend('demo', (request) => {
      told.push(`demo ${request === undefined ? 'all' : 'one'}`);
      return true;
    });
    receipts.onResend('other', () => {
      told.push('other');
      return true;
    });
    receipts.restarted('demo');
    assert.deepEqual(told, [], 'synchronously: the announcing node is not wired yet');
    await until(() => told.length > 0, 'the deliverer told');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(told, ['demo all'], 'only the deliverers of that stream');
  });

  it('a stage of every stream (r2-upload) restarting tells every deliverer; one that throws does not stop the others', async () => {
    const receipts = new DeliveryReceipts();
    const told: string[] = [];
    receipts.onResend('a', () => {
      throw new Error('broken');
    });
    receipts.onResend('a', () => {
      told.push('a');
      return true;
    });
    receipts.onResend('b', () => {
      told.push('b');
      return false;
    });
    receipts.restarted(undefined);
    await until(() => told.length === 2, 'both deliverers told');
    assert.deepEqual(told.sort(), ['a', 'b']);
  });

  it('answers a resend request with whether some deliverer of the stream will send it again', () => {
    const receipts = new DeliveryReceipts();
    const request: ResendRequest = { rendition: 'main', session: 's1', sequence: 7 };
    assert.equal(receipts.requestResend('demo', request), false, 'no deliverer: nobody will');
    const asked: (ResendRequest | undefined)[] = [];
    const stopNo = receipts.onResend('demo', (r) => {
      asked.push(r);
      return false;
    });
    receipts.onResend('demo', () => {
      throw new Error('broken');
    });
    assert.equal(receipts.requestResend('demo', request), false, 'a refusal and a failure are no promise');
    const stopYes = receipts.onResend('demo', () => true);
    assert.equal(receipts.requestResend('demo', request), true);
    assert.equal(receipts.requestResend('other', request), false, 'deliverers of another stream do not answer');
    assert.deepEqual(asked, [request, request], 'every deliverer is asked, with the request');
    stopYes();
    stopNo();
    assert.equal(receipts.requestResend('demo', request), false, 'withdrawn');
  });

  it('withdrawing a deliverer after its stream was emptied and listened to again leaves the new listener', () => {
    const receipts = new DeliveryReceipts();
    const stop = receipts.onResend('demo', () => true);
    stop();
    receipts.onResend('demo', () => true);
    stop();
    assert.equal(receipts.requestResend('demo', { rendition: 'main', session: 's1', sequence: 1 }), true);
  });
});
