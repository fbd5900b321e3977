"""The suite ships complete translations: every msgid of each addon's .pot is translated with its
placeholders intact, and every email and SMS template renders in the customer's language."""

import html
import re
from datetime import timedelta
from os.path import isfile, join

import polib

from odoo import Command, fields
from odoo.modules.module import get_module_path
from odoo.tests import tagged
from odoo.tools.translate import TranslationImporter, get_po_paths

from .common import CollectionsCommon

ADDONS = ("account_collections", "account_collections_sms", "account_collections_agency")
LANGUAGES = {"fr": "fr_FR", "de": "de_DE", "es": "es_ES", "nl": "nl_NL", "it": "it_IT"}

# what a translation must keep exactly as the msgid has it
FORMAT_RE = re.compile(
    r"%\([A-Za-z_]\w*\)[-+#0]*\d*(?:\.\d+)?[sdrfi]"  # %(name)s, %(rate).2f
    r"|%[-+#0]*\d*(?:\.\d+)?[sdrfi]"  # %s, %d
    r"|%%"
    r"|\{\{.*?\}\}"  # inline_template expressions
    r"|\$\{[^}]*\}"
    r"|\{[A-Za-z_]\w*\}",  # str.format fields
    re.S,
)
TAG_RE = re.compile(r"<[^>]+>")
URL_RE = re.compile(r"https?://\S+")
NUMBER_RE = re.compile(r"\d[\d.,/:\-]*")
QUOTED_RE = re.compile(r"'[^']*'|\"[^\"]*\"")
# attributes whose value is text for the reader, translated with the rest
TEXT_ATTRIBUTE_RE = re.compile(r"""\s(title|alt|placeholder|aria-label|string)=("[^"]*"|'[^']*')""")
# what must never reach a customer: QWeb or format syntax left unrendered
RAW_MARKERS = ("t-out", "t-esc", "t-if", "t-foreach", "t-att", "t-field", "{{", "}}", "${", "%(", "%s")


def _placeholders(text):
    """Format placeholders, sorted; the string literals inside {{ }} expressions are text. A named
    placeholder (``%(name)s``) counts once: a translation may name it again or once less."""
    found = [QUOTED_RE.sub("''", item) if item.startswith("{{") else item for item in FORMAT_RE.findall(text)]
    named = {item for item in found if item.startswith("%(")}
    return sorted([item for item in found if not item.startswith("%(")] + list(named))


def _tags(text):
    """QWeb/HTML tags with their attributes, sorted (a translation may move them within the text)."""
    tags = []
    for tag in TAG_RE.findall(text):
        tag = TEXT_ATTRIBUTE_RE.sub(r" \1=''", tag)
        tags.append(" ".join(tag.split()))
    return sorted(tags)


def _words(rendered):
    """The words of a rendered text: numbers, dates and amounts (formatted by language) masked."""
    return NUMBER_RE.sub("0", str(rendered or ""))


def _sentences(rendered):
    """Text of a rendered email or SMS without its links and numbers, cut at tags and punctuation."""
    text = URL_RE.sub("\n", html.unescape(TAG_RE.sub("\n", str(rendered or ""))))
    return {" ".join(part.split()) for part in re.split(r"[\n.:;!?()]", _words(text)) if part.strip()}


def _is_prose(sentence):
    """At least four words of letters: a sentence a translation cannot leave as it is."""
    return sum(1 for word in sentence.split() if re.fullmatch(r"[^\W\d_]{2,}[,']?", word)) >= 4


@tagged("post_install", "-at_install")
class TestTranslations(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        company.partner_id.tz = "UTC"
        cls.customer = cls._customer("Hotel Atlas", email="ap@atlas.example.com", mobile="+32 470 12 34 56", tz="UTC")
        cls.invoice = cls._invoice(cls.customer, 20, 600.0)
        cls.invoice_2 = cls._invoice(cls.customer, 10, 400.0)
        cls.case = cls._case_of(cls.customer)
        today = fields.Date.context_today(cls.env["res.partner"])
        cls.plan = cls.env["collection.payment.plan"].create(
            {
                "case_id": cls.case.id,
                "invoice_ids": [Command.set(cls.invoice.ids)],
                "start_date": today + timedelta(days=1),
                "installment_count": 3,
                "interval": "monthly",
            }
        )
        cls.promise = cls.env["collection.promise"].create(
            {
                "case_id": cls.case.id,
                "invoice_ids": [Command.set(cls.invoice_2.ids)],
                "amount": 400.0,
                "promised_date": today + timedelta(days=7),
            }
        )
        cls.settlement = cls.env["collection.settlement"].create(
            {"case_id": cls.case.id, "amount_settled": 800.0, "deadline": today + timedelta(days=10)}
        )
        cls.samples = {
            "collection.case": cls.case,
            "res.partner": cls.customer,
            "collection.payment.plan": cls.plan,
            "collection.payment.plan.line": cls.plan.line_ids[:1],
            "collection.promise": cls.promise,
            "collection.settlement": cls.settlement,
        }
        cls.recipients = cls.customer
        if "collection.agency" in cls.env:
            cls._add_placement()

    @classmethod
    def _case_of(cls, partner):
        return cls.env["collection.case"].search([("partner_id", "=", partner.id), ("state", "=", "open")])

    @classmethod
    def _add_placement(cls):
        """A placement with an agency, when the agency addon is installed: its email goes to the agency."""
        agency_partner = cls._customer("Recovery Ltd", email="cases@recovery.example.com")
        agency = cls.env["collection.agency"].create(
            {"name": "Recovery Ltd", "partner_id": agency_partner.id, "company_id": cls.company_data["company"].id}
        )
        debtor = cls._customer("India Imports", email="ap@india.example.com", tz="UTC")
        cls._invoice(debtor, 45, 250.0)
        wizard = (
            cls.env["collection.agency.handover"]
            .with_context(active_model="collection.case", active_ids=cls._case_of(debtor).ids)
            .create({"agency_id": agency.id})
        )
        action = wizard.action_confirm()
        cls.samples["collection.agency.placement"] = cls.env["collection.agency.placement"].browse(action["res_id"])
        cls.recipients |= agency_partner

    # ------------------------------------------------------------------ the .po files
    def _check_po_files(self, lang):
        """Every msgid of each addon's .pot is translated in i18n/<lang>.po, placeholders and tags intact."""
        for addon in ADDONS:
            folder = join(get_module_path(addon, display_warning=False) or "", "i18n")
            pot = polib.pofile(join(folder, f"{addon}.pot"))
            po_path = join(folder, f"{lang}.po")
            if not isfile(po_path):
                self.fail(f"{addon}/i18n/{lang}.po does not exist: {LANGUAGES[lang]} is not translated yet.")
            po = {entry.msgid: entry for entry in polib.pofile(po_path)}
            for source in pot:
                where = f"{addon}/i18n/{lang}.po, msgid {source.msgid!r}"
                entry = po.get(source.msgid)
                self.assertTrue(entry, f"{where}: missing")
                self.assertTrue(entry.msgstr.strip(), f"{where}: not translated")
                self.assertNotIn("fuzzy", entry.flags, f"{where}: fuzzy")
                self.assertEqual(
                    _placeholders(entry.msgstr), _placeholders(source.msgid), f"{where}: placeholders differ"
                )
                self.assertEqual(_tags(entry.msgstr), _tags(source.msgid), f"{where}: QWeb/HTML tags differ")

    # ------------------------------------------------------------------ the templates, rendered
    def _load_language(self, code):
        """Activate the language and load the addons' translations from the files of this checkout.

        The templates' translations already in the database (from an earlier load of older files)
        are dropped first, so that what renders is what the files hold, and an entry left in English
        renders in English."""
        self.env["res.lang"]._activate_lang(code)
        addons = self.env["ir.module.module"].search([("name", "in", ADDONS), ("state", "=", "installed")])
        addons = addons.mapped("name")
        for _xmlid, template in self._templates(addons):
            for name in ("subject", "body_html", "body"):
                if name in template._fields and template._fields[name].translate:
                    template.update_field_translations(name, {code: False})
        importer = TranslationImporter(self.env.cr, verbose=False)
        for addon in addons:
            for path in get_po_paths(addon, code):
                importer.load_file(path, code)
        importer.save(overwrite=True, force_overwrite=True)
        return addons

    def _templates(self, addons):
        data = self.env["ir.model.data"].search(
            [("module", "in", addons), ("model", "in", ("mail.template", "sms.template"))]
        )
        self.assertTrue(data, "the addons ship no template")
        return [(f"{imd.module}.{imd.name}", self.env[imd.model].browse(imd.res_id)) for imd in data]

    def _render(self, xmlid, template, record, lang):
        """{field: rendered text} of the template on the record, in the record's language
        (lang=None) or in ``lang``."""
        try:
            if template._name == "sms.template":
                if lang:
                    body = template._render_field("body", record.ids, set_lang=lang)
                else:
                    body = template._render_field("body", record.ids, compute_lang=True)
                return {"body": body[record.id]}
            if lang:
                template = template.with_context(template_preview_lang=lang)
            return template._generate_template(record.ids, ("subject", "body_html"))[record.id]
        except Exception as error:  # any rendering error fails the test, naming the template
            self.fail(f"{xmlid} could not be rendered on {record}: {error}")

    def _check_templates(self, code, addons):
        self.recipients.lang = code
        for xmlid, template in self._templates(addons):
            record = self.samples.get(template.model)
            self.assertTrue(record, f"{xmlid}: no sample {template.model} to render it on")
            english = self._render(xmlid, template, record, "en_US")
            rendered = self._render(xmlid, template, record, None)
            for field, text in rendered.items():
                where = f"{xmlid} {field} in {code}"
                self.assertTrue(text and text.strip(), f"{where}: empty")
                self.assertNotEqual(_words(text), _words(english[field]), f"{where}: still the English text")
                for marker in RAW_MARKERS:
                    self.assertNotIn(marker, text, f"{where}: raw {marker!r} left in {text!r}")
                untranslated = sorted(
                    sentence for sentence in _sentences(english[field]) & _sentences(text) if _is_prose(sentence)
                )
                self.assertFalse(untranslated, f"{where}: still in English: {untranslated}")

    def _check_language(self, lang):
        self._check_po_files(lang)
        code = LANGUAGES[lang]
        self._check_templates(code, self._load_language(code))

    def test_translations_fr(self):
        self._check_language("fr")

    def test_translations_de(self):
        self._check_language("de")

    def test_translations_es(self):
        self._check_language("es")

    def test_translations_nl(self):
        self._check_language("nl")

    def test_translations_it(self):
        self._check_language("it")
