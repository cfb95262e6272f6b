/** Downloads a file the API serves, however the canvas signed in: with a pasted token the request must carry it, so the
 * file is fetched and saved from memory; with the session cookie the browser fetches it itself, saving a long export to
 * disk as it streams in. */
import { type ContactSearch, contactsExportPath, fetchFile, storedToken } from "../api";
import { downloadBlob } from "../components/download";

export async function downloadFromApi(path: string, fallbackName: string): Promise<void> {
  if (storedToken()) {
    const { blob, filename } = await fetchFile(path, fallbackName);
    downloadBlob(blob, filename);
    return;
  }
  const link = document.createElement("a");
  link.href = path;
  link.download = fallbackName; // the answer's Content-Disposition names the file
  document.body.appendChild(link);
  link.click();
  link.remove();
}

/** Downloads the contacts a search finds as CSV: their id, then `columns`. */
export function exportContacts(search: ContactSearch, columns: string[]): Promise<void> {
  return downloadFromApi(contactsExportPath(search, ["id", ...columns.filter((key) => key !== "id")]), "contacts.csv");
}
