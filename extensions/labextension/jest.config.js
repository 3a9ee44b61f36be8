// Jest runs the unit tests of the logic that is not drawing (src/geometry.ts, src/model.ts,
// src/publish.ts) in Node; tsc (npm run build:lib) type-checks, ts-jest only transpiles.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] }
};
