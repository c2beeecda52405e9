#!/usr/bin/env node
// Launcher for the device agent, `fleetpki-agent` (see launch.js and docs/agent.md).
import { launch } from './launch.js';

launch('fleetpki-agent', 'src/agent/main.ts');
