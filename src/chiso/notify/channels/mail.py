"""E-mail through an SMTP server (``smtplib``): STARTTLS (587), implicit TLS (465), or a plain office relay (25).

Letter drafts travel as attachments (up to ``max_attachment_mb`` together; beyond that the link is the way).
The Message-ID is derived from the send's idempotency key, so a mail system that sees the same message twice
can recognise it.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, getaddresses

from chiso.errors import ChisoError
from chiso.notify.channels.base import Channel, Delivery, DeliveryError, Problem
from chiso.notify.message import Message

_ADDRESS = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


class Email(Channel):
    name = "email"
    label = "thư điện tử"
    address_hint = "một hoặc nhiều địa chỉ thư, cách nhau bằng dấu phẩy"

    @classmethod
    def normalise(cls, address: str) -> str:
        parts = [p.strip() for p in re.split(r"[,;]", address) if p.strip()]
        bad = [p for p in parts if not _ADDRESS.match(p)]
        if not parts or bad:
            raise ChisoError(
                f"Địa chỉ thư không hợp lệ: '{', '.join(bad) or address}'", hint=f"Cần {cls.address_hint}."
            )
        return ", ".join(parts)

    def _build(self, address: str, message: Message, key: str) -> EmailMessage:
        c = self.config.email
        sender = c.sender or c.username
        if not sender:
            raise self.not_configured("địa chỉ gửi", "[email] sender hoặc CHISO_SMTP_FROM")
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = sender
        mail["To"] = address
        mail["Date"] = formatdate(self.clock().timestamp(), localtime=False)
        domain = (getaddresses([sender])[0][1].rpartition("@")[2] or "chiso.local").strip(">")
        mail["Message-ID"] = f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"
        body = message.body()
        files = [p for p in message.attachments if p.is_file()]
        if sum(p.stat().st_size for p in files) > c.max_attachment_mb * 1024 * 1024:
            files = []
            body += "\n\n(Tệp đính kèm quá lớn để gửi qua thư; tải tại trang Công văn của chiso.)"
        mail.set_content(body)
        for path in files:
            kind, _ = mimetypes.guess_type(path.name)
            main, _, sub = (kind or "application/octet-stream").partition("/")
            mail.add_attachment(path.read_bytes(), maintype=main, subtype=sub, filename=path.name)
        return mail

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.config.email.ca_file:
            context.load_verify_locations(cafile=self.config.email.ca_file)
        return context

    def _connect(self) -> smtplib.SMTP:
        c = self.config.email
        if not c.host:
            raise self.not_configured("máy chủ thư (host)", "[email] host hoặc CHISO_SMTP_HOST")
        where = f"{c.host}:{c.effective_port}"
        try:
            if c.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.effective_port, timeout=c.timeout, context=self._tls())
            else:
                smtp = smtplib.SMTP(c.host, c.effective_port, timeout=c.timeout)
                if c.security == "starttls":
                    smtp.starttls(context=self._tls())
            if c.username:
                if c.password is None:
                    raise self.not_configured("mật khẩu thư", "[email] password hoặc CHISO_SMTP_PASSWORD")
                smtp.login(c.username, c.password.get_secret_value())
            return smtp
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"Máy chủ thư {where} từ chối tên đăng nhập hoặc mật khẩu.", problem=Problem.TOKEN,
                detail=f"SMTP {exc.smtp_code}", hint="Kiểm tra [email] username và password (CHISO_SMTP_PASSWORD).",
            ) from exc  # fmt: skip
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(
                f"Máy chủ thư {where} không hỗ trợ STARTTLS hoặc đăng nhập.", problem=Problem.CONFIG,
                detail=str(exc), hint="Đổi [email] security (ssl cho cổng 465, none cho máy chủ chuyển tiếp nội bộ).",
            ) from exc  # fmt: skip
        except ssl.SSLError as exc:
            raise DeliveryError(
                f"Không thiết lập được kết nối TLS với máy chủ thư {where}: chứng chỉ không tin cậy hoặc sai cổng.",
                problem=Problem.NETWORK, detail=f"{type(exc).__name__}: {exc}",
                hint="Dùng [email] ca_file cho chứng chỉ riêng của cơ quan, hoặc kiểm tra security và port.",
            ) from exc  # fmt: skip
        except (OSError, smtplib.SMTPException) as exc:  # refused, DNS, timeout, dropped during the greeting
            raise DeliveryError(
                f"Không kết nối được tới máy chủ thư {where}: lỗi mạng, tường lửa hoặc địa chỉ sai.",
                problem=Problem.NETWORK, retryable=True, detail=f"{type(exc).__name__}: {exc}",
            ) from exc  # fmt: skip

    def send(self, address: str, message: Message, key: str) -> Delivery:
        mail = self._build(address, message, key)
        smtp = self._connect()
        try:
            refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"Máy chủ thư từ chối người nhận {address}.", problem=Problem.RECIPIENT,
                                detail=str(exc.recipients)) from exc  # fmt: skip
        except smtplib.SMTPSenderRefused as exc:
            raise DeliveryError("Máy chủ thư từ chối địa chỉ gửi.", problem=Problem.CONFIG,
                                detail=f"SMTP {exc.smtp_code}", hint="Kiểm tra [email] sender.") from exc  # fmt: skip
        except smtplib.SMTPDataError as exc:
            temporary = 400 <= exc.smtp_code < 500
            raise DeliveryError(
                "Máy chủ thư tạm thời không nhận thư; sẽ thử lại sau." if temporary
                else "Máy chủ thư không nhận nội dung thư (có thể do tệp đính kèm quá lớn).",
                problem=Problem.SERVER if temporary else Problem.CONTENT, retryable=temporary,
                detail=f"SMTP {exc.smtp_code}",
            ) from exc  # fmt: skip
        except (OSError, smtplib.SMTPException) as exc:  # the connection dropped while the message was going out
            raise DeliveryError(
                "Máy chủ thư ngắt kết nối khi đang nhận thư: không rõ thư đã được gửi hay chưa.",
                problem=Problem.NETWORK, maybe_delivered=True, detail=f"{type(exc).__name__}: {exc}",
            ) from exc  # fmt: skip
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        note = f"máy chủ thư từ chối: {', '.join(refused)}" if refused else ""
        return Delivery(reference=str(mail["Message-ID"]), note=note)
