/** The app shell: sign-in gate, navigation and routes. */
import { useEffect, useState } from "react";
import { BrowserRouter, Navigate, NavLink, Route, Routes } from "react-router-dom";

import { currentSession, logOut, setUnauthorisedHandler, storedToken } from "./api";
import { ContactPage } from "./pages/ContactPage";
import { ContactsPage } from "./pages/ContactsPage";
import { EditorPage } from "./pages/EditorPage";
import { FailuresPage } from "./pages/FailuresPage";
import { FlowsListPage } from "./pages/FlowsListPage";
import { LoginPage } from "./pages/LoginPage";
import { ScenariosPage } from "./pages/ScenariosPage";

type Auth = "checking" | "in" | "out";

function Shell({ onLogOut }: { onLogOut(): void }) {
  return (
    <div className="shell">
      <nav className="topnav">
        <NavLink to="/flows" className="brand">
          <span className="brand-mark" /> automap
        </NavLink>
        <NavLink to="/flows">Flows</NavLink>
        <NavLink to="/scenarios">Scenarios</NavLink>
        <NavLink to="/contacts">Contacts</NavLink>
        <NavLink to="/failures">Failures</NavLink>
        <span className="toolbar-spacer" />
        <button type="button" className="link" onClick={onLogOut}>
          Sign out
        </button>
      </nav>
      <main className="main">
        <Routes>
          <Route path="/" element={<Navigate to="/flows" replace />} />
          <Route path="/flows" element={<FlowsListPage />} />
          <Route path="/flows/:id" element={<EditorPage />} />
          <Route path="/scenarios" element={<ScenariosPage />} />
          <Route path="/contacts" element={<ContactsPage />} />
          <Route path="/contacts/:id" element={<ContactPage />} />
          <Route path="/failures" element={<FailuresPage />} />
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
