/** The visual block editor for an email's MJML (GrapesJS with its MJML preset), for marketers who do not write MJML:
 * click or drag a block (text, button, image, columns…) in, type in the canvas, style it in the side panels. Big, so
 * only the template page's chunk loads it. */
// GrapesJS's buttons and toolbars draw Font Awesome 4 icons: the font is served from here, not fetched from a CDN.
import "font-awesome/css/font-awesome.min.css";
import "grapesjs/dist/css/grapes.min.css";
import "./MjmlVisualEditor.css";

import type { Block, Component, Editor } from "grapesjs";
import { forwardRef, useEffect, useImperativeHandle, useRef } from "react";

import { blockPlacement } from "./library";

/** What the template page asks of the editor. */
export interface MjmlVisualEditorHandle {
  /** The email's MJML as the editor holds it now, the text being typed included (typing ends). */
  mjml(): Promise<string>;
}

interface MjmlVisualEditorProps {
  /** The MJML the editor opens with; later changes to it are not loaded (remount to load another). */
  initial: string;
  /** Called with the MJML after every change the editor makes to its blocks. */
  onChange(mjml: string): void;
}

// The blocks a marketer is offered: rows of columns, and what goes in a column.
const BLOCKS = ["mj-1-column", "mj-2-columns", "mj-3-columns", "mj-text", "mj-button", "mj-image", "mj-divider", "mj-spacer", "mj-social-group", "mj-hero", "mj-wrapper"];

/** A block clicked (not dragged) goes where it belongs: a row at the end of the body, content into the selected column
 * or, with none selected, the last one (a new row is made when the email has no column yet). */
function appendBlock(block: Block, editor: Editor): void {
  const content = block.getContent() as string;
  const body: Component | undefined = editor.getWrapper()?.findType("mj-body")[0];
  if (!body) return;
  let added: Component[];
  if (blockPlacement(content) === "body") {
    added = body.append(content);
  } else {
    const selected = editor.getSelected();
    const column = (selected?.is("mj-column") ? selected : selected?.closestType("mj-column")) || body.findType("mj-column").at(-1);
    added = column ? column.append(content) : body.append(`<mj-section><mj-column>${content}</mj-column></mj-section>`);
  }
  if (!added[0]) return;
  editor.select(added[0]);
  if (block.get("activate")) added[0].trigger("active"); // a text block opens for typing, as when it is dropped
}

/** The MJML the editor holds, after ending any typing in a text block so the typed words are in it. */
async function currentMjml(editor: Editor): Promise<string> {
  const editing = editor.getEditing()?.getView() as { disableEditing?: () => Promise<void> } | undefined;
  await editing?.disableEditing?.();
  return editor.runCommand("mjml-code") as string;
}

export const MjmlVisualEditor = forwardRef<MjmlVisualEditorHandle, MjmlVisualEditorProps>(function MjmlVisualEditor({ initial, onChange }, handle) {
  const container = useRef<HTMLDivElement>(null);
  const editor = useRef<Editor | null>(null);
  const initialMjml = useRef(initial);
  const changed = useRef(onChange);

  useEffect(() => {
    changed.current = onChange;
  }, [onChange]);

  useImperativeHandle(handle, () => ({
    mjml: () => (editor.current ? currentMjml(editor.current) : Promise.resolve(initialMjml.current)),
  }));

  useEffect(() => {
    let closed = false;
    let instance: Editor | null = null;
    // GrapesJS and its MJML preset (which carries the MJML compiler) are two chunks of their own, fetched side by side.
    Promise.all([import("grapesjs"), import("grapesjs-mjml")]).then(([{ default: grapesjs }, { default: grapesjsMjml }]) => {
      if (closed || !container.current) return;
      const opened = grapesjs.init({
        container: container.current,
        height: "620px",
        width: "auto",
        storageManager: false, // the page saves the MJML through the API
        telemetry: false, // no report to grapesjs.com of where the editor runs
        fromElement: false,
        components: initialMjml.current,
        cssIcons: "", // the icon font is bundled (imported above)
        blockManager: { appendOnClick: appendBlock },
        plugins: [(loading) => grapesjsMjml(loading, { blocks: BLOCKS, imagePlaceholderSrc: "" })],
      });
      // The blocks panel first: adding blocks is what a new email starts with.
      opened.on("load", () => opened.Panels.getButton("views", "open-blocks")?.set("active", true));
      opened.on("update", () => changed.current(opened.runCommand("mjml-code") as string));
      instance = editor.current = opened;
    });
    return () => {
      closed = true;
      editor.current = null;
      instance?.destroy();
    };
  }, []);

  return <div ref={container} className="mjml-visual-editor" data-testid="mjml-visual-editor" />;
});
