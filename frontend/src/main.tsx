import "@xyflow/react/dist/style.css";
import "./styles.css";

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./App";

// A deploy replaces the chunks the open page's index.html names, so a page first shown after it fails to load: load
// the new index.html (sent no-cache) instead, at most once a minute so a chunk truly missing cannot reload forever.
const RELOADED_AT = "automap.reloadedForNewBuild";
window.addEventListener("vite:preloadError", () => {
  if (Date.now() - Number(sessionStorage.getItem(RELOADED_AT) ?? 0) < 60_000) return;
  sessionStorage.setItem(RELOADED_AT, String(Date.now()));
  window.location.reload();
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
