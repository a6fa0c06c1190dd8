// Compile-time only (never bundled): the hand-written public declarations in this folder must
// state exactly what the loader implements, so `npm run typecheck` fails when either one drifts.
import type * as Public from './relaycast-hls.mjs';
import type * as Impl from '../loader/index';
import { relaycastHlsConfig } from '../loader/index';

type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(proof: Same<A, B>) => proof;

same<Public.RelaycastOptions, Impl.RelaycastOptions>(true);
same<Public.RelaycastStats, Impl.RelaycastStats>(true);
same<Public.RelaycastEngine, Impl.RelaycastEngine>(true);
same<Parameters<typeof Public.relaycastHlsConfig>, Parameters<typeof relaycastHlsConfig>>(true);
same<ReturnType<typeof Public.relaycastHlsConfig>['config'], ReturnType<typeof relaycastHlsConfig>['config']>(true);

// The implementation's session offers at least the public one (it has internal members too).
export const sessionIsPublic = (session: Impl.RelaycastSession): Public.RelaycastSession => session;
