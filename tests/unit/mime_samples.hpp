// Messages in the shapes real mail has, for the tests of sync/mime/ (and the CLI tests that append
// them): each as the bytes a server would send (CRLF line ends).
#pragma once

#include <string>
#include <string_view>

namespace mailsync::test {

// "\n" → "\r\n": the samples are written with LF for reading, sent with CRLF as on the wire.
inline std::string crlf(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

// The bytes 0..255 (the PDF-like attachment of mixed_with_three_attachments).
inline std::string all_bytes() {
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
    return bytes;
}

// multipart/mixed: a text body and three attachments — binary (base64, every byte value),
// text/csv in ISO-8859-1 (quoted-printable, file name in RFC 2231), a PNG (name in RFC 2047).
inline std::string mixed_with_three_attachments() {
    return crlf(R"(From: =?ISO-8859-1?Q?Ren=E9_Dupont?= <rene@example.org>
To: Ann <ann@example.org>, bob@example.org
Cc: team: carol@example.org, "Dan, D." <dan@example.org>;
Subject: =?UTF-8?Q?Rapport_trimestriel_=E2=80=93_Q3?=
Date: Tue, 1 Dec 2026 09:30:00 +0100
Message-ID: <report@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer-boundary"

This is a multi-part message in MIME format.
--outer-boundary
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Bonjour,

le rapport est joint =E2=80=94 trois fichiers.
--outer-boundary
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64

AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4
OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx
cnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmq
q6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj
5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==
--outer-boundary
Content-Type: text/csv; charset=ISO-8859-1
Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.csv
Content-Transfer-Encoding: quoted-printable

pays;caf=E9
France;1
--outer-boundary
Content-Type: image/png; name="=?UTF-8?B?w6l0w6kucG5n?="
Content-Disposition: attachment
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--outer-boundary--
)");
}

// multipart/alternative: ISO-8859-1 quoted-printable text, UTF-8 base64 HTML.
inline std::string alternative() {
    return crlf(R"(From: shop@example.com
To: ann@example.org
Subject: Offre
Date: Wed, 2 Dec 2026 08:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary=alt

--alt
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

Un caf=E9 offert.
--alt
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: base64

PGh0bWw+PGhlYWQ+PHN0eWxlPnB7fTwvc3R5bGU+PC9oZWFkPjxib2R5PjxwPlVuIDxiPmNhZsOp
PC9iPiBvZmZlcnQgJmFtcDsgbWVyY2kuPC9wPjwvYm9keT48L2h0bWw+
--alt--
)");
}

// multipart/mixed holding a forwarded message (message/rfc822, itself multipart/mixed with an
// attachment) and a second enclosed message whose body is a single part.
inline std::string forwarded() {
    return crlf(R"(From: ann@example.org
To: bob@example.org
Subject: Fwd: two messages
Date: Thu, 3 Dec 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=fwd

--fwd
Content-Type: text/plain

See the two messages below.
--fwd
Content-Type: message/rfc822

From: carol@example.org
Subject: =?UTF-8?B?SW5uZXIgw6l0w6k=?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=inner

--inner
Content-Type: text/plain; charset=UTF-8

inner text
--inner
Content-Type: application/octet-stream; name=inner.bin
Content-Transfer-Encoding: base64

3q2+7w==
--inner--

--fwd
Content-Type: message/rfc822
Content-Disposition: attachment; filename="note.eml"

From: dan@example.org
Subject: note

just a note
--fwd--
)");
}

// RFC 2231 continuations: an encoded name in two pieces, and a quoted one in two pieces.
inline std::string continued_file_names() {
    return crlf(R"(From: ann@example.org
Subject: names
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain; charset=UTF-8
Content-Disposition: attachment;
 filename*0*=UTF-8''%E6%97%A5%E6%9C%AC;
 filename*1*=%E8%AA%9E.txt

nihongo
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename*0="a very long file ";
 filename*1="name.pdf"

%PDF
--b--
)");
}

}  // namespace mailsync::test
