// The script every page of the UI loads (bundled into assets/app-<hash>.js).
import { installKeyboardShortcuts } from './keyboard-shortcuts.js';

installKeyboardShortcuts();
