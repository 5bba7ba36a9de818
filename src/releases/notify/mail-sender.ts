import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Stable per job and recipient, so a mail sent twice can be recognised as one by the receiving side. */
  readonly messageId: string;
  readonly headers: Record<string, string>;
}

/** SMTP through nodemailer; one connection pool per process, opened on first use. */
@Injectable()
export class MailSender implements OnApplicationShutdown {
  private transporter: Transporter | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get enabled(): boolean {
    return this.config.serviceTasks.smtp !== undefined;
  }

  async send(mail: OutgoingMail): Promise<{ messageId: string; response: string }> {
    const smtp = this.config.serviceTasks.smtp;
    if (!smtp) throw new Error('SMTP is not configured');
    this.transporter ??= nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
      pool: true,
      maxConnections: 2,
      connectionTimeout: this.config.serviceTasks.outboundTimeoutMs,
      greetingTimeout: this.config.serviceTasks.outboundTimeoutMs,
      socketTimeout: this.config.serviceTasks.outboundTimeoutMs,
    });
    const info = (await this.transporter.sendMail({
      from: smtp.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: mail.messageId,
      headers: mail.headers,
    })) as { messageId?: string; response?: string; rejected?: unknown[] };
    if (Array.isArray(info.rejected) && info.rejected.length > 0) {
      throw new Error(`the SMTP server refused ${mail.to}: ${info.response ?? ''}`);
    }
    return { messageId: info.messageId ?? mail.messageId, response: info.response ?? '' };
  }

  onApplicationShutdown(): void {
    this.transporter?.close();
    this.transporter = undefined;
  }
}
