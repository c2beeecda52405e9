#!/usr/bin/env node
// Launcher for `npx fleetpki` / an installed `fleetpki` (see launch.js).
import { launch } from './launch.js';

launch('fleetpki', 'src/cli/main.ts');
