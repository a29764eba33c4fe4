// The workspace app's page: the language of the document follows the
// pages' choice, and <contacts-app> does the rest.
import { lang, onLangChange } from "./i18n";
import "./app";

document.documentElement.lang = lang();
onLangChange(() => (document.documentElement.lang = lang()));
