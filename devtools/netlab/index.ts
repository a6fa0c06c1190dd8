export { describeHome, type HomeSpec, type NatKind } from './home-spec';
export { homeChromium, type HomeChromium } from './chromium';
export { Lab, LAB_ENV, runInsideLab } from './lab';
export { preflight, requireLab } from './preflight';
export { homesFor, loadProfile, type Profile } from './profile';
export { labNamespaces, removeLeftovers } from './teardown';
export { homeBytes, ORIGIN_ADDRESS, type Home } from './topology';
