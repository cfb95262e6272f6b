/** An email written on the node (subject + MJML body) rendered as the inbox will show it. */
import { useEffect, useState } from "react";

export function EmailPreview({ subject, body, preheader }: { subject?: string; body?: string; preheader?: string }) {
  const [html, setHtml] = useState<string>("");
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (!body) return; // nothing is shown without a body, so the last rendering can stay
    let current = true;
    const timer = setTimeout(async () => {
      const { default: mjml2html } = await import("mjml-browser");
      if (!current) return;
      try {
        const source = body.trim().startsWith("<mjml") ? body : `<mjml><mj-body><mj-section><mj-column><mj-text>${body}</mj-text></mj-column></mj-section></mj-body></mjml>`;
        const result = await mjml2html(source, { validationLevel: "soft", fonts: {} });
        if (!current) return;
        setHtml(result.html);
        setProblem(result.errors.length ? result.errors[0].formattedMessage : null);
      } catch (error) {
        setProblem((error as Error).message);
      }
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [body]);

  if (!body) return null;
  return (
    <div className="email-preview" data-testid="email-preview">
      <div className="email-preview-subject">
        <b>{subject || "(no subject)"}</b>
        {preheader && <span className="muted"> — {preheader}</span>}
      </div>
      {problem && <p className="text-warning">{problem}</p>}
      <iframe title="Email preview" sandbox="" srcDoc={html} />
    </div>
  );
}
