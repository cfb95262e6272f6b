/** The app shell: sign-in gate, navigation and routes. */
import { lazy, Suspense, useEffect, useState } from "react";
import { BrowserRouter, Navigate, NavLink, Route, Routes } from "react-router-dom";

import { currentSession, logOut, setUnauthorisedHandler, storedToken } from "./api";
import { InboxNavLink } from "./inbox/InboxNavLink";
import { FlowsListPage } from "./pages/FlowsListPage";
import { LoginPage } from "./pages/LoginPage";

type Auth = "checking" | "in" | "out";

// Signing in and the flows list come in the first bundle; every other page is a chunk of its own, loaded when
// first shown. The editor (React Flow, the config forms, the charts) is most of the code.
const EditorPage = lazy(() => import("./pages/EditorPage").then((module) => ({ default: module.EditorPage })));
const ScenariosPage = lazy(() => import("./pages/ScenariosPage").then((module) => ({ default: module.ScenariosPage })));
const ContactsPage = lazy(() => import("./pages/ContactsPage").then((module) => ({ default: module.ContactsPage })));
const ContactPage = lazy(() => import("./pages/ContactPage").then((module) => ({ default: module.ContactPage })));
const FailuresPage = lazy(() => import("./pages/FailuresPage").then((module) => ({ default: module.FailuresPage })));
const SegmentsPage = lazy(() => import("./pages/SegmentsPage").then((module) => ({ default: module.SegmentsPage })));
const SegmentPage = lazy(() => import("./pages/SegmentPage").then((module) => ({ default: module.SegmentPage })));
const TemplatesPage = lazy(() => import("./pages/TemplatesPage").then((module) => ({ default: module.TemplatesPage })));
const TemplatePage = lazy(() => import("./pages/TemplatePage").then((module) => ({ default: module.TemplatePage })));
const InboxPage = lazy(() => import("./inbox/InboxPage").then((module) => ({ default: module.InboxPage })));
const SettingsPage = lazy(() => import("./pages/SettingsPage").then((module) => ({ default: module.SettingsPage })));
const FunnelsPage = lazy(() => import("./reports/FunnelsPage").then((module) => ({ default: module.FunnelsPage })));
const FunnelPage = lazy(() => import("./reports/FunnelPage").then((module) => ({ default: module.FunnelPage })));
const MessagesPage = lazy(() => import("./reports/MessagesPage").then((module) => ({ default: module.MessagesPage })));
const RevenuePage = lazy(() => import("./reports/RevenuePage").then((module) => ({ default: module.RevenuePage })));

function Shell({ onLogOut }: { onLogOut(): void }) {
  return (
    <div className="shell">
      <nav className="topnav">
        <NavLink to="/flows" className="brand">
          <span className="brand-mark" /> automap
        </NavLink>
        <NavLink to="/flows">Flows</NavLink>
        <InboxNavLink />
        <NavLink to="/scenarios">Scenarios</NavLink>
        <NavLink to="/contacts">Contacts</NavLink>
        <NavLink to="/segments">Segments</NavLink>
        <NavLink to="/templates">Templates</NavLink>
        <NavLink to="/reports" data-testid="nav-reports">
          Reports
        </NavLink>
        <NavLink to="/failures">Failures</NavLink>
        <NavLink to="/settings">Settings</NavLink>
        <span className="toolbar-spacer" />
        <button type="button" className="link" onClick={onLogOut}>
          Sign out
        </button>
      </nav>
      <main className="main">
        <Suspense fallback={<div className="page muted">Loading…</div>}>
          <Routes>
            <Route path="/" element={<Navigate to="/flows" replace />} />
            <Route path="/flows" element={<FlowsListPage />} />
            <Route path="/flows/:id" element={<EditorPage />} />
            <Route path="/scenarios" element={<ScenariosPage />} />
            <Route path="/inbox/:id?" element={<InboxPage />} />
            <Route path="/contacts" element={<ContactsPage />} />
            <Route path="/contacts/:id" element={<ContactPage />} />
            <Route path="/segments" element={<SegmentsPage />} />
            <Route path="/segments/:id" element={<SegmentPage />} />
            <Route path="/templates" element={<TemplatesPage />} />
            <Route path="/templates/:id" element={<TemplatePage />} />
            <Route path="/reports" element={<Navigate to="/reports/funnels" replace />} />
            <Route path="/reports/funnels" element={<FunnelsPage />} />
            <Route path="/reports/funnels/:id" element={<FunnelPage />} />
            <Route path="/reports/messages" element={<MessagesPage />} />
            <Route path="/reports/revenue" element={<RevenuePage />} />
            <Route path="/failures" element={<FailuresPage />} />
            <Route path="/settings" element={<SettingsPage />} />
            <Route
              path="*"
              element={
                <div className="page empty-state">
                  <h2>Nothing here</h2>
                  <NavLink to="/flows">Back to flows</NavLink>
                </div>
              }
            />
          </Routes>
        </Suspense>
      </main>
    </div>
  );
}

export function App() {
  const [auth, setAuth] = useState<Auth>(storedToken() ? "in" : "checking");

  useEffect(() => {
    setUnauthorisedHandler(() => setAuth("out"));
    // A pasted token signs in at once; otherwise the session cookie, if any, says who is signed in.
    if (!storedToken()) currentSession().then(() => setAuth("in"), () => setAuth("out"));
  }, []);

  if (auth === "checking") return <div className="splash">Loading…</div>;
  return (
    <BrowserRouter>
      {auth === "in" ? <Shell onLogOut={() => logOut().then(() => setAuth("out"))} /> : <LoginPage onSignedIn={() => setAuth("in")} />}
    </BrowserRouter>
  );
}
