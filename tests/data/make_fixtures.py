"""Write Autoencoder, VAE and GAN files with the code of 8154be9, plus the state 3 steps later."""
import sys, numpy as np
from nn import MLP
from layers import Dense
from activations import ReLU, Sigmoid, Tanh, LeakyReLU
from optimizer import Adam, SGD
from loss import MSE
from autoencoder import Autoencoder, GaussianNoise
from vae import VAE, Sampler
from gan import GAN
from dataset import Dataset

out = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.random((12, 6))

def mlp(widths, acts, seed, opt=None, dtype=np.float64):
    m = MLP(dtype=dtype)
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        m.addLayer(Dense(a, b, activation=acts[i], optimizer=opt or Adam(0.01), seed=seed + i))
    return m

data = Dataset(x_train=x, y_train=x, batch_size=4, shuffle=True, seed=1)
ae = Autoencoder(mlp([6, 3], [ReLU()], 0), mlp([3, 6], [Sigmoid()], 5, SGD(0.1, momentum=0.9)),
                 noise=GaussianNoise(0.1, seed=3))
ae.train(data, loss=MSE(), epochs=2, verbose=False)
ae.save(f"{out}/autoencoder-1.npz")
vae = VAE(mlp([6, 4], [ReLU()], 10), Sampler(4, 2, seed=2, dtype=np.float64), mlp([2, 6], [Sigmoid()], 20))
vae.train(Dataset(x_train=x, y_train=x, batch_size=4, seed=1), epochs=2, verbose=False)
vae.save(f"{out}/vae-1.npz")
gan = GAN(mlp([2, 5, 6], [LeakyReLU(0.2), Tanh()], 30), mlp([6, 4, 1], [LeakyReLU(0.2), Sigmoid()], 40),
          latentDim=2, realLabel=0.9, seed=4)
gan.train(Dataset(x_train=x * 2 - 1, y_train=x, batch_size=4, seed=1), epochs=2, verbose=False)
gan.save(f"{out}/gan-1.npz")
