/**
 * The Node-RED settings file the demo writes into its throwaway userDir. `nodesDir` points at the
 * repository root, so Node-RED loads this package as a module: its nodes, locales and examples/
 * (Import ▸ Examples), exactly as after a palette install.
 */
export function demoSettingsFile(options: { repoRoot: string; port: number }): string {
  const settings = {
    uiPort: options.port,
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    flowFilePretty: true,
    // The demo's credentials are ${ENV} placeholders only, so plain text storage exposes nothing.
    credentialSecret: false,
    nodesDir: [options.repoRoot],
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    httpNodeCors: { origin: '*', methods: 'GET,HEAD,OPTIONS' },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
  };
  return `// Written by demo/start.ts at every start; edit demo/settings.ts instead.\nmodule.exports = ${JSON.stringify(settings, null, 2)};\n`;
}
