// Copies the built front-end files the product uses from node_modules/ into static/vendor/,
// so that running the product needs no Node.js. Run `npm ci && npm run vendor` after
// changing package.json, then commit static/vendor/.
//
// Source-map comments are stripped: the maps are not shipped, and Django's manifest
// storage refuses to collect files that reference missing ones.

import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "static", "vendor");

// [package file, destination under static/vendor/]. @tabler/core ships no LICENSE file;
// its MIT notice is in the header of its CSS and JS. FullCalendar's standard bundle (core,
// daygrid, timegrid, list, multimonth, interaction) has no CSS file: it injects its styles from
// the JS. The bundle inlines Preact, whose MIT licence goes with it.
const FILES = [
  ["@tabler/core/dist/css/tabler.min.css", "tabler/tabler.min.css"],
  ["@tabler/core/dist/css/tabler-vendors.min.css", "tabler/tabler-vendors.min.css"],
  ["@tabler/core/dist/js/tabler.min.js", "tabler/tabler.min.js"],
  ["htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"],
  ["htmx.org/LICENSE", "htmx/LICENSE"],
  ["tom-select/dist/js/tom-select.complete.min.js", "tom-select/tom-select.complete.min.js"],
  ["tom-select/dist/css/tom-select.bootstrap5.min.css", "tom-select/tom-select.bootstrap5.min.css"],
  ["tom-select/LICENSE", "tom-select/LICENSE"],
  ["@tabler/icons/LICENSE", "tabler-icons/LICENSE"],
  ["echarts/dist/echarts.min.js", "echarts/echarts.min.js"],
  ["echarts/LICENSE", "echarts/LICENSE"],
  ["fullcalendar/index.global.min.js", "fullcalendar/index.global.min.js"],
  ["fullcalendar/LICENSE.md", "fullcalendar/LICENSE.md"],
  ["preact/LICENSE", "fullcalendar/LICENSE-preact"],
];

// Outline icons bundled into one SVG sprite (the whole set is thousands of files).
// Templates use them with {% icon "name" %}; add a name here and re-run to use a new one.
const ICONS = [
  "adjustments", "alert-triangle", "arrow-down", "arrow-up", "arrows-sort", "ban", "building",
  "check", "chevron-left", "chevron-right", "circle-check", "download", "filter", "home",
  "info-circle", "key", "language", "lock", "logout", "pencil", "plus", "search", "settings",
  "user", "users", "users-group", "x", "server", "topology-star-3", "book", "upload", "history",
  "camera", "git-compare", "trash", "link", "clipboard-check",
  // incidents
  "lifebuoy", "chart-bar", "paperclip", "user-check", "message", "message-circle", "flame",
  "speakerphone", "bell", "clock", "send", "player-pause", "player-play", "refresh", "file",
  "list", "bookmark", "checks", "eye", "arrow-back-up", "alert-circle", "hierarchy", "lock-open",
  "mail", "phone", "device-desktop-analytics", "calendar",
  // changes
  "calendar-event", "shield-check", "git-pull-request", "player-stop", "rocket", "alert-octagon",
];

const STROKE = 'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"';
const SOURCE_MAP_COMMENT = /\n?\/[*/]# sourceMappingURL=\S+?(?: \*\/)?\s*$/;

function copy(source, destination) {
  const from = join(modules, source);
  const to = join(vendor, destination);
  mkdirSync(dirname(to), { recursive: true });
  if (/\.(css|js)$/.test(source)) {
    writeFileSync(to, readFileSync(from, "utf8").replace(SOURCE_MAP_COMMENT, "\n"));
  } else {
    copyFileSync(from, to);
  }
}

function symbol(name) {
  const svg = readFileSync(join(modules, "@tabler/icons/icons/outline", `${name}.svg`), "utf8");
  const body = svg
    .replace(/^[\s\S]*?<svg[^>]*>/, "")
    .replace(/<\/svg>\s*$/, "")
    .replace(/<path stroke="none" d="M0 0h24v24H0z" fill="none"\s*\/>/, "")
    .replace(/\s*\n\s*/g, "");
  // Presentation attributes go on each symbol: <use> does not inherit them from the sprite root.
  return `<symbol id="${name}" viewBox="0 0 24 24" ${STROKE}>${body}</symbol>`;
}

function buildSprite() {
  const symbols = ICONS.map(symbol).join("\n");
  const sprite = `<svg xmlns="http://www.w3.org/2000/svg">\n${symbols}\n</svg>\n`;
  mkdirSync(join(vendor, "tabler-icons"), { recursive: true });
  writeFileSync(join(vendor, "tabler-icons", "sprite.svg"), sprite);
}

rmSync(vendor, { recursive: true, force: true });
for (const [source, destination] of FILES) copy(source, destination);
buildSprite();
console.log(`Vendored ${FILES.length} files and ${ICONS.length} icons into static/vendor/.`);
