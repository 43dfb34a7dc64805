"""An account's deletion runs on a real Celery worker: the request closes the account and
sends the job, and the worker deletes every row while other accounts stay."""

from __future__ import annotations

from accounts.data import account_deletion_request
from accounts.models import Account
from orders.models import Order
from tests.objects import create_cart, create_order, create_wms
from tests.workers import WorkerTestCase, wait_for


class AccountDeletionWorkerTests(WorkerTestCase):
    def test_a_worker_deletes_the_closed_account_and_nothing_else(self) -> None:
        create_wms(self.alices_account)
        for number in range(1, 4):
            create_order(create_cart(self.bobs_merchant, prefix=f"AD{number}-"), number=number)
        charlies = create_order(create_cart(self.charlies_merchant, prefix="CD-"), number=9)
        account_deletion_request(account=self.alices_account)
        wait_for(
            lambda: not Account.objects.filter(id=self.alices_account.id).exists(),
            what="the worker to delete the account",
        )
        self.assertFalse(Order.objects.filter(account_id=self.alices_account.id).exists())
        self.assertTrue(Order.objects.filter(id=charlies.id).exists())
