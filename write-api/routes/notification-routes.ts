import type { Router } from 'express';
import type { NotificationHandlers } from '../../commands/notification-handlers';
import type { JwtTokens } from '../../infra/auth/jwt-tokens';
import { authenticate } from '../../infra/http/auth';
import { commandContext } from '../../infra/http/request-context';
import { exactRouter, recordRoute } from '../../infra/http/routing';
import { parseWith } from '../../infra/http/validation';
import { markAllReadBody, markReadBody, notificationIdParam } from '../contract/notification-contract';

/** A buyer's read marks on their own notifications (the notifications themselves are read on the read API). */
export const notificationRoutes = (notifications: NotificationHandlers, tokens: JwtTokens): Router => {
  const router = exactRouter();
  const buyer = authenticate(tokens);

  router.post('/read', recordRoute, buyer, async (req, res) => {
    const { upTo } = parseWith(markAllReadBody, req.body, 'body');
    const position = upTo === undefined ? null : BigInt(upTo.slice(0, upTo.indexOf('-')));
    res.status(200).json(await notifications.markAllRead(position, commandContext(res)));
  });

  router.post('/:notificationId/read', recordRoute, buyer, async (req, res) => {
    const { notificationId } = parseWith(notificationIdParam, req.params, 'path');
    parseWith(markReadBody, req.body, 'body');
    res.status(200).json(await notifications.markRead(notificationId, commandContext(res)));
  });

  return router;
};
