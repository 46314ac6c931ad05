#!/usr/bin/env node
// Runs the TypeScript CLI directly: the project ships as source, like the Pulumi program itself.
require("ts-node").register({ transpileOnly: true, project: require("path").join(__dirname, "..", "tsconfig.json") });
require("../infra/cli").main(process.argv);
