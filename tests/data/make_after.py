"""Load each fixture with the code of 8154be9, train one more epoch on fixed batches, save '-after'."""
import sys, numpy as np
from loss import MSE
from autoencoder import Autoencoder
from vae import VAE
from gan import GAN
from dataset import Dataset
out = sys.argv[1]
x = np.random.default_rng(0).random((12, 6))
ae = Autoencoder.load(f"{out}/autoencoder-1.npz")
ae.train(Dataset(x_train=x, y_train=x, batch_size=4, seed=7), loss=MSE(), epochs=1, verbose=False)
ae.save(f"{out}/autoencoder-1-after.npz")
vae = VAE.load(f"{out}/vae-1.npz")
vae.train(Dataset(x_train=x, y_train=x, batch_size=4, seed=7), epochs=1, verbose=False)
vae.save(f"{out}/vae-1-after.npz")
gan = GAN.load(f"{out}/gan-1.npz", seed=5)
gan.train(Dataset(x_train=x * 2 - 1, y_train=x, batch_size=4, seed=7), epochs=1, verbose=False)
gan.save(f"{out}/gan-1-after.npz")
