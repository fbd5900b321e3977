"""SMS length in segments: GSM-7 (160 characters, 153 per part) or UCS-2 (70, 67 per part)."""

import math

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def sms_clean(body):
    """Plain spaces for the no-break spaces Odoo puts in amounts: they would force UCS-2."""
    return (body or "").replace("\u00a0", " ").replace("\u202f", " ")


def sms_encoding(body):
    """'gsm7' when every character fits the GSM 03.38 alphabet, else 'ucs2'."""
    return "gsm7" if all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in body) else "ucs2"


def sms_segments(body):
    """Number of segments the body takes (0 for an empty body)."""
    if not body:
        return 0
    if sms_encoding(body) == "gsm7":
        length = sum(2 if char in GSM7_EXTENDED else 1 for char in body)
        return 1 if length <= 160 else math.ceil(length / 153)
    # UCS-2 counts UTF-16 code units: characters outside the BMP take two
    length = len(body.encode("utf-16-le")) // 2
    return 1 if length <= 70 else math.ceil(length / 67)
