#!/usr/bin/env node
import '../dist/serve/entry.js';
