/** Layer direction of DESIGN.md §6: bin → cli → app → stage folders → ir → util. */
const STAGES =
  '(recipe|checkpoint|families|experts|router|onnx|graph|runtime|pipeline|train|data|eval|report|regress)';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'util-is-a-leaf',
      severity: 'error',
      from: { path: '^src/util/' },
      to: { path: '^src/(?!util/)' },
    },
    {
      name: 'ir-only-uses-util',
      severity: 'error',
      from: { path: '^src/ir/' },
      to: { path: '^src/(?!ir/|util/)' },
    },
    {
      name: 'stages-do-not-reach-up',
      severity: 'error',
      from: { path: `^src/${STAGES}/` },
      to: { path: '^src/(app|cli)/|^src/bin\\.ts$' },
    },
    {
      name: 'app-does-not-reach-up',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/cli/|^src/bin\\.ts$' },
    },
    {
      name: 'app-shared-is-the-bottom-of-app',
      comment:
        'app/shared/ (manifest, stage cache, lock, progress…) serves every command and imports none of them.',
      severity: 'error',
      from: { path: '^src/app/shared/' },
      to: { path: '^src/app/(?!shared/)' },
    },
    {
      name: 'plan-imports-no-command',
      comment:
        'The plan is what commands execute or print: app/plan/ uses app/shared/ only, never a command folder.',
      severity: 'error',
      from: { path: '^src/app/plan/' },
      to: { path: '^src/app/(?!shared/|plan/)' },
    },
    {
      name: 'cli-calls-app-only',
      severity: 'error',
      comment: 'The CLI parses argv and calls app/; stage folders are reached through app/.',
      from: { path: '^src/cli/' },
      to: { path: `^src/${STAGES}/|^src/bin\\.ts$`, pathNot: '^src/recipe/' },
    },
    {
      name: 'pure-stages-stay-pure',
      severity: 'error',
      comment: 'experts/ and router/ are pure math: no runtime, graph, protobuf or IO layers.',
      from: { path: '^src/(experts|router)/' },
      to: { path: '^src/(runtime|onnx|graph|checkpoint|train|data|eval|report)/' },
    },
    {
      name: 'report-does-no-computation',
      severity: 'error',
      from: { path: '^src/report/' },
      to: { path: '^src/(runtime|onnx|graph|checkpoint|train|eval|experts|router)/' },
    },
    {
      name: 'only-runtime-imports-onnxruntime',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/runtime/' },
      to: { path: 'node_modules/onnxruntime-(node|common)' },
    },
    {
      name: 'only-onnx-imports-protobuf',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/onnx/' },
      to: { path: 'node_modules/(onnx-proto|protobufjs)' },
    },
    {
      name: 'only-checkpoint-talks-to-the-hub',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/checkpoint/' },
      to: { path: 'node_modules/@huggingface/hub' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
